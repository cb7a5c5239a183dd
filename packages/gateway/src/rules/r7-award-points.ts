import type { SignalOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, failed, type RuleContext } from "./decision.js";
import { pointsFor } from "./points.js";
import { isKnownMember, memberOrgOf } from "./record.js";

/**
 * R7: an activity was completed by a known member → an entry on the member's points ledger for the
 * member's org, and a `points.awarded` event once the ledger has it (the event carries the balance,
 * which only the ledger knows). Activities of anyone else earn nothing.
 */
export function r7AwardPoints(
  signal: SignalOf<"activity.completed">,
  change: RecordChange,
  ctx: RuleContext,
): Decision {
  const { prev } = change;
  if (!isKnownMember(prev)) return emptyDecision();
  const org = memberOrgOf(prev, ctx);
  if ("unrouted" in org) return failed(org.unrouted);
  const { orgId } = org;
  const { kind, hours, activityId } = signal.data;
  return {
    ...emptyDecision(),
    points: {
      subjectId: ctx.subjectId,
      orgId,
      activityId,
      kind,
      hours,
      points: pointsFor(kind, hours),
      occurredAt: signal.occurredAt,
      signalId: signal.id,
    },
  };
}
