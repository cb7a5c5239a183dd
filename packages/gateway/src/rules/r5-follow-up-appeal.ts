import type { SignalOf, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, failed, type RuleContext } from "./decision.js";
import { taskId } from "./ids.js";
import { defined, identified, openTask } from "./record.js";
import { describePlace, route } from "./routing.js";

/**
 * R5: any worker raised an appeal → `follow_up_appeal` (诉求跟进) for the org covering the appeal's
 * region, due after the urgent or the normal deadline. The worker's station counts only when the
 * appeal comes from the region the worker is known to work in; known or not, every worker's
 * appeal makes a task.
 */
export function r5FollowUpAppeal(
  signal: SignalOf<"appeal.raised">,
  change: RecordChange,
  ctx: RuleContext,
): Decision {
  const { prev } = change;
  const { category, urgency, summary, regionCode } = signal.data;
  const stationId = prev && prev.regionCode === regionCode ? prev.stationId : undefined;
  const place = { platformId: ctx.platformId, regionCode, stationId };
  const covering = route(ctx.table, place);
  if (!covering) return failed(describePlace(place));
  const task = openTask<TaskOf<"follow_up_appeal">>(
    ctx,
    urgency === "urgent" ? "follow_up_appeal_urgent" : "follow_up_appeal",
    {
      id: taskId(ctx.platformId, signal.id, "R5"),
      kind: "follow_up_appeal",
      rule: "R5",
      orgId: covering.org.id,
      subjectId: ctx.subjectId,
      signalId: signal.id,
      regionCode,
      ...defined({ stationId }),
      details: defined({ category, urgency, summary, ...identified(prev) }),
    },
  );
  return { ...emptyDecision(), tasks: [task] };
}
