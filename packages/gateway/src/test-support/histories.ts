import type { Signal } from "@gigbridge/schemas";
import fc from "fast-check";
import { decide } from "../rules/decide.js";
import type { Decision, RuleContext, WorkerRecord } from "../rules/decision.js";
import { compareStamps } from "../rules/merge.js";
import { consentAll, consentMembership, makeSignal } from "../rules/testing.js";

// Generated histories of one worker's signals, for property tests of arrival order: at the rules
// level (`outcomeOf`) and through Redis. Every place is covered by an org of `testOrgs`.

export const WORKER = "w_order_1";
const BASE = Date.UTC(2024, 5, 1);
const HOUR = 3_600_000;

/** quickride places: Chaoyang street, Chaoyang district, Haidian (Beijing's committee), Pudong. */
const places = [
  { regionCode: "110105001" },
  { regionCode: "110105001", stationId: "st_order_a" },
  { regionCode: "110105002", stationId: "st_order_b" },
  { regionCode: "110108" },
  { regionCode: "310115005" },
] as const;

export type SignalKind =
  | "worker.onboarded"
  | "membership.declared"
  | "worker.relocated"
  | "worker.offboarded"
  | "activity.completed"
  | "appeal.raised";

const place = fc.constantFrom(...places).map((p) => ({ ...p }));
const status = fc.constantFrom("member", "probationary", "activist", "applicant", "none" as const);
const consent = fc.constantFrom(consentAll, consentMembership);
const contact = fc.constantFrom(
  { name: "测试骑手甲", phone: "13800000001" },
  { name: "测试骑手乙", phone: "13800000002" },
);
const home = { name: "示例镇第一党支部" };

/** What one signal of each kind says, without id and time (those come from its place in the history). */
const bodies = {
  "worker.onboarded": fc.record({ place, status: fc.option(status), consent, contact: fc.option(contact) }),
  "membership.declared": fc.record({ place, status, consent, contact: fc.option(contact) }),
  "worker.relocated": fc.record({ place }),
  "worker.offboarded": fc.record({ place }),
  "activity.completed": fc.record({ place }),
  "appeal.raised": fc.record({ place: fc.constantFrom("110105", "110105001", "310115") }),
} satisfies { [K in SignalKind]: fc.Arbitrary<Omit<Body, "kind">> };

const body = (kinds: readonly SignalKind[]): fc.Arbitrary<Body> =>
  fc.oneof(...kinds.map((kind) => bodies[kind].map((b): Body => ({ ...b, kind }))));

type Body = {
  kind: SignalKind;
  place: { regionCode: string; stationId?: string } | string;
  status?: string | null;
  consent?: typeof consentAll;
  contact?: { name: string; phone: string } | null;
};

function signalOf(b: Body, index: number, hour: number): Signal {
  const envelope = {
    id: `sig_${String.fromCharCode(97 + index)}`,
    occurredAt: new Date(BASE + hour * HOUR).toISOString(),
  };
  const where = typeof b.place === "string" ? { regionCode: b.place } : b.place;
  const declared = b.status ?? undefined;
  const member = declared === "member" || declared === "probationary";
  switch (b.kind) {
    case "worker.onboarded":
      return makeSignal(
        b.kind,
        {
          workerId: WORKER,
          regionCode: where.regionCode,
          stationId: where.stationId,
          politicalStatus: declared as never,
          homeOrganization: member ? home : undefined,
          contact: b.consent === consentAll ? (b.contact ?? undefined) : undefined,
          consent: b.consent,
        },
        envelope,
      );
    case "membership.declared":
      return makeSignal(
        b.kind,
        {
          workerId: WORKER,
          regionCode: where.regionCode,
          stationId: where.stationId,
          politicalStatus: declared as never,
          homeOrganization: member ? home : undefined,
          contact: b.consent === consentAll ? (b.contact ?? undefined) : undefined,
          consent: b.consent,
        },
        envelope,
      );
    case "worker.relocated":
      return makeSignal(b.kind, { workerId: WORKER, from: { regionCode: "110101" }, to: where }, envelope);
    case "worker.offboarded":
      return makeSignal(b.kind, { workerId: WORKER }, envelope);
    case "activity.completed":
      return makeSignal(
        b.kind,
        { workerId: WORKER, kind: "study", hours: index + 1, activityId: `act_${index}` },
        envelope,
      );
    case "appeal.raised":
      return makeSignal(b.kind, { workerId: WORKER, regionCode: where.regionCode }, envelope);
  }
}

/**
 * Histories of 1 to `max` signals of the given kinds for one worker, with times a few hours apart
 * (some equal, so ties are broken by signal id), in the order they occurred.
 */
export function historyOf(kinds: readonly SignalKind[] = signalKinds, max = 8): fc.Arbitrary<Signal[]> {
  return fc
    .array(fc.tuple(body(kinds), fc.integer({ min: 0, max: 6 })), { minLength: 1, maxLength: max })
    .map((items) => items.map(([b, hour], index) => signalOf(b, index, hour)))
    .map((signals) => [...signals].sort(byOccurrence));
}

export function byOccurrence(a: Signal, b: Signal): number {
  return compareStamps({ at: a.occurredAt, signalId: a.id }, { at: b.occurredAt, signalId: b.id });
}

/** A history and some orders to process it in (each a permutation of it). */
export const signalKinds: readonly SignalKind[] = [
  "worker.onboarded",
  "membership.declared",
  "worker.relocated",
  "worker.offboarded",
  "activity.completed",
  "appeal.raised",
];

export function historyAndOrders(
  kinds: readonly SignalKind[] = signalKinds,
  orders = 12,
  max = 8,
): fc.Arbitrary<{ history: Signal[]; orders: Signal[][] }> {
  return historyOf(kinds, max).chain((history) =>
    fc
      .array(fc.shuffledSubarray(history, { minLength: history.length, maxLength: history.length }), {
        minLength: 1,
        maxLength: orders,
      })
      .map((shuffled) => ({ history, orders: [[...history].reverse(), ...shuffled] })),
  );
}

/** What processing leaves: the record, the open tasks as `kind@org` (sorted), and the points balance. */
export interface Outcome {
  record: WorkerRecord | null;
  tasks: string[];
  balance: number;
  /** Each signal's decision, in processing order. */
  decisions: { signal: Signal; decision: Decision }[];
}

/**
 * Processes signals one after another as the processing stage does, without Redis: the record a
 * decision leads to is kept, a task id is created once, an activity id is counted once.
 */
export function outcomeOf(signals: readonly Signal[], ctx: RuleContext): Outcome {
  let record: WorkerRecord | null = null;
  const tasks = new Map<string, string>();
  const points = new Map<string, number>();
  const decisions: Outcome["decisions"] = [];
  for (const signal of signals) {
    const decision = decide(signal, record, ctx);
    decisions.push({ signal, decision });
    if (decision.failure) throw new Error(`unexpected no_route: ${decision.failure.detail}`);
    if (decision.record) record = decision.record;
    for (const task of decision.tasks)
      if (!tasks.has(task.id)) tasks.set(task.id, `${task.kind}@${task.orgId}`);
    if (decision.points && !points.has(decision.points.activityId))
      points.set(decision.points.activityId, decision.points.points);
  }
  return {
    record,
    tasks: [...tasks.values()].sort(),
    balance: [...points.values()].reduce((sum, p) => sum + p, 0),
    decisions,
  };
}
