import type { SignalOf, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, failed, type RuleContext } from "./decision.js";
import { taskId } from "./ids.js";
import { defined, identified, isKnownMember, isMemberStatus, openTask } from "./record.js";
import { describePlace, route } from "./routing.js";

/** The signals that can carry a worker's political status. */
export type DeclaringSignal = SignalOf<"worker.onboarded"> | SignalOf<"membership.declared">;

/**
 * R1: a worker declared member or probationary → `register_member` (报到登记) for the covering org.
 * A worker already registered as a member with that same org (a repeated declaration, or a
 * probationary member becoming a full one) needs no second registration.
 */
export function r1RegisterMember(signal: DeclaringSignal, change: RecordChange, ctx: RuleContext): Decision {
  const { prev, next } = change;
  // A stale declaration states nothing the record does not already know better; a worker no
  // longer on the platform is not registered through it.
  if (change.stale?.includes("membership") || next?.active !== true) return emptyDecision();
  const status = next?.politicalStatus;
  if (!next?.regionCode || signal.data.politicalStatus === undefined || !isMemberStatus(status))
    return emptyDecision();
  const place = { platformId: ctx.platformId, regionCode: next.regionCode, stationId: next.stationId };
  const covering = route(ctx.table, place);
  if (!covering) return failed(describePlace(place));
  if (isKnownMember(prev) && prev.orgId === covering.org.id) return emptyDecision();
  const task = openTask<TaskOf<"register_member">>(ctx, "register_member", {
    id: taskId(ctx.platformId, signal.id, "R1"),
    kind: "register_member",
    rule: "R1",
    orgId: covering.org.id,
    subjectId: ctx.subjectId,
    signalId: signal.id,
    regionCode: next.regionCode,
    ...defined({ stationId: next.stationId }),
    details: defined({
      politicalStatus: status,
      homeOrganization: next.homeOrganization,
      ...identified(next),
    }),
  });
  return { ...emptyDecision(), tasks: [task] };
}
