import type { Signal } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, type RuleContext, type WorkerRecord } from "./decision.js";
import { mergeSignal } from "./merge.js";
import { r1RegisterMember } from "./r1-register-member.js";
import { r2MentorApplicant } from "./r2-mentor-applicant.js";
import { r3TransferRelation } from "./r3-transfer-relation.js";
import { r4UpdateRoster } from "./r4-update-roster.js";
import { r5FollowUpAppeal } from "./r5-follow-up-appeal.js";
import { r6EstablishOrganization } from "./r6-establish-organization.js";
import { r7AwardPoints } from "./r7-award-points.js";

/**
 * Everything one signal leads to: the worker record after it, and what rules R1 to R7 decide.
 * Facts on the record follow the newest `occurredAt` whatever the arrival order (`mergeSignal`),
 * and rules see the record as it stands after the merge. Pure: the same signal, record, org tree and clock give the same decision. If any rule cannot
 * route, the whole signal fails with `no_route` and nothing of it applies, so a replay after an
 * org is added starts from the same record.
 */
export function decide(signal: Signal, record: WorkerRecord | null, ctx: RuleContext): Decision {
  switch (signal.type) {
    case "worker.onboarded":
    case "membership.declared": {
      const change = mergeSignal(signal, record, ctx);
      return compose(change, [
        r1RegisterMember(signal, change, ctx),
        r2MentorApplicant(signal, change, ctx),
        r6EstablishOrganization(signal, change, ctx),
      ]);
    }
    case "worker.relocated": {
      const change = mergeSignal(signal, record, ctx);
      return compose(change, [
        r3TransferRelation(signal, change, ctx),
        r6EstablishOrganization(signal, change, ctx),
      ]);
    }
    case "worker.offboarded": {
      const change = mergeSignal(signal, record, ctx);
      return compose(change, [
        r4UpdateRoster(signal, change, ctx),
        r6EstablishOrganization(signal, change, ctx),
      ]);
    }
    // Events, not state: never dropped for being old.
    case "activity.completed":
      return compose({ prev: record, next: record }, [
        r7AwardPoints(signal, { prev: record, next: record }, ctx),
      ]);
    case "appeal.raised":
      return compose({ prev: record, next: record }, [
        r5FollowUpAppeal(signal, { prev: record, next: record }, ctx),
      ]);
    case "station.updated": {
      const { stationId, name, regionCode, headcount } = signal.data;
      return {
        ...emptyDecision(),
        station: {
          platformId: ctx.platformId,
          stationId,
          name,
          regionCode,
          headcount,
          updatedAt: signal.occurredAt,
        },
      };
    }
    default:
      throw new Error(`no rules for signal type ${(signal as { type: string }).type}`);
  }
}

/** The subject a signal concerns, by the platform's worker id; null for `station.updated`. */
export function workerIdOf(signal: Signal): string | null {
  return signal.type === "station.updated" ? null : signal.data.workerId;
}

function compose(change: RecordChange, parts: Decision[]): Decision {
  const failure = parts.find((part) => part.failure)?.failure;
  if (failure) return { ...emptyDecision(), failure };
  const decision: Decision = {
    tasks: parts.flatMap((part) => part.tasks),
    events: parts.flatMap((part) => part.events),
    stations: parts.flatMap((part) => part.stations),
  };
  const points = parts.find((part) => part.points)?.points;
  if (points) decision.points = points;
  if (change.next && change.next !== change.prev) decision.record = change.next;
  if (change.stale && change.stale.length > 0) decision.stale = [...change.stale];
  return decision;
}
