import type { Consent, ConsentScope, Contact, PoliticalStatus, Task, TaskKind } from "@gigbridge/schemas";
import type { Deadlines, RuleContext, WorkerRecord } from "./decision.js";
import { describePlace, route } from "./routing.js";

export type MemberStatus = "member" | "probationary";
export type ApplicantStatus = "activist" | "applicant";

export function isMemberStatus(status: PoliticalStatus | undefined): status is MemberStatus {
  return status === "member" || status === "probationary";
}

/** "A known member": the record says member or probationary, and the worker is still on the platform. */
export function isKnownMember(
  record: WorkerRecord | null,
): record is WorkerRecord & { politicalStatus: MemberStatus; regionCode: string } {
  return record?.active === true && isMemberStatus(record.politicalStatus) && record.regionCode !== undefined;
}

/**
 * The org a known member belongs to: the one on the record, or, if none covered the member's place
 * when it was recorded (or that org is gone), the org covering the place now, or why there is none.
 */
export function memberOrgOf(
  record: WorkerRecord & { regionCode: string },
  ctx: RuleContext,
): { orgId: string } | { unrouted: string } {
  if (record.orgId !== null && ctx.table.byId.has(record.orgId)) return { orgId: record.orgId };
  const place = { platformId: ctx.platformId, regionCode: record.regionCode, stationId: record.stationId };
  const covering = route(ctx.table, place);
  return covering ? { orgId: covering.org.id } : { unrouted: describePlace(place) };
}

export function allows(consent: Consent | undefined, scope: ConsentScope): boolean {
  return consent?.scopes.includes(scope) ?? false;
}

/** The raw worker id and contact for a task, present only where the worker consented to share contact details. */
export function identified(record: WorkerRecord | null): { workerId?: string; contact?: Contact } {
  if (!record || !allows(record.consent, "share_contact")) return {};
  const out: { workerId?: string; contact?: Contact } = {};
  if (record.workerId !== undefined) out.workerId = record.workerId;
  if (record.contact !== undefined) out.contact = record.contact;
  return out;
}

/** A new task, open, created now, due after the deadline configured for its kind. */
export function openTask<T extends Task>(
  ctx: RuleContext,
  deadlineKey: keyof Deadlines,
  fields: Omit<T, "status" | "deadline" | "createdAt" | "updatedAt" | "platformId"> & { kind: TaskKind },
): T {
  const createdAt = new Date(ctx.now).toISOString();
  return {
    ...fields,
    status: "open",
    platformId: ctx.platformId,
    deadline: new Date(ctx.now + ctx.deadlines[deadlineKey]).toISOString(),
    createdAt,
    updatedAt: createdAt,
  } as T;
}

/** Copies only the keys whose value is defined (task JSON never carries `undefined`). */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
