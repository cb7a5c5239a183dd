import type { SignalOf, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, failed, type RuleContext } from "./decision.js";
import { taskId } from "./ids.js";
import { defined, identified, isKnownMember, memberOrgOf, openTask } from "./record.js";

/**
 * R4: a known member offboarded → `update_roster` (更新名册) for the covering org: the org on the
 * member's record, or, if none covered the member's place when it was recorded, the org covering it now.
 */
export function r4UpdateRoster(
  signal: SignalOf<"worker.offboarded">,
  change: RecordChange,
  ctx: RuleContext,
): Decision {
  const { prev } = change;
  // An offboarding older than the worker's latest (re-)onboarding changes nothing.
  if (change.stale?.includes("employment")) return emptyDecision();
  if (!isKnownMember(prev)) return emptyDecision();
  const org = memberOrgOf(prev, ctx);
  if ("unrouted" in org) return failed(org.unrouted);
  const { orgId } = org;
  const task = openTask<TaskOf<"update_roster">>(ctx, "update_roster", {
    id: taskId(ctx.platformId, signal.id, "R4"),
    kind: "update_roster",
    rule: "R4",
    orgId,
    subjectId: ctx.subjectId,
    signalId: signal.id,
    regionCode: prev.regionCode,
    ...defined({ stationId: prev.stationId }),
    details: defined({
      politicalStatus: prev.politicalStatus,
      reason: signal.data.reason,
      ...identified(prev),
    }),
  });
  return { ...emptyDecision(), tasks: [task] };
}
