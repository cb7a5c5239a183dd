import type { SignalOf, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, failed, type RuleContext } from "./decision.js";
import { taskId } from "./ids.js";
import { placeAt } from "./merge.js";
import { defined, identified, openTask } from "./record.js";
import { describePlace, route } from "./routing.js";

/**
 * R5: any worker raised an appeal → `follow_up_appeal` (诉求跟进) for the covering org, due after the
 * urgent or the normal deadline. An appeal is an event, not state: however old, it is followed up.
 * Where the worker was when they raised it (from the record's place history; else where they are
 * now) decides the org, as long as that place lies in the appeal's region; an appeal from
 * elsewhere, or from a worker the gateway does not know, goes to the org covering its region.
 */
export function r5FollowUpAppeal(
  signal: SignalOf<"appeal.raised">,
  change: RecordChange,
  ctx: RuleContext,
): Decision {
  const { prev } = change;
  const { category, urgency, summary, regionCode: appealRegion } = signal.data;
  const worker = placeAt(prev, signal.occurredAt);
  const { regionCode, stationId } = worker?.regionCode.startsWith(appealRegion)
    ? worker
    : { regionCode: appealRegion, stationId: undefined };
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
