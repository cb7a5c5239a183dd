import type { SignalOf, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, type EventDraft, emptyDecision, failed, type RuleContext } from "./decision.js";
import { eventId, taskId } from "./ids.js";
import { defined, identified, isKnownMember, openTask } from "./record.js";
import { describePlace, route } from "./routing.js";

/**
 * R3: a known member relocated → `transfer_relation` (组织关系转接) for the receiving org (the org
 * covering `to`), and a `member.departed` notice to the sending org (the org on the member's
 * record). A move that stays with the same org transfers nothing, so it makes no task and no notice.
 */
export function r3TransferRelation(
  signal: SignalOf<"worker.relocated">,
  change: RecordChange,
  ctx: RuleContext,
): Decision {
  const { prev } = change;
  // A move that a later one already replaced transfers nothing.
  if (change.stale?.includes("place")) return emptyDecision();
  if (!isKnownMember(prev)) return emptyDecision();
  const { to } = signal.data;
  const place = { platformId: ctx.platformId, regionCode: to.regionCode, stationId: to.stationId };
  const receiving = route(ctx.table, place);
  if (!receiving) return failed(describePlace(place));
  const sendingOrgId = prev.orgId;
  if (sendingOrgId === receiving.org.id) return emptyDecision();

  const task = openTask<TaskOf<"transfer_relation">>(ctx, "transfer_relation", {
    id: taskId(ctx.platformId, signal.id, "R3"),
    kind: "transfer_relation",
    rule: "R3",
    orgId: receiving.org.id,
    subjectId: ctx.subjectId,
    signalId: signal.id,
    regionCode: to.regionCode,
    ...defined({ stationId: to.stationId }),
    details: defined({
      politicalStatus: prev.politicalStatus,
      homeOrganization: prev.homeOrganization,
      from: defined({ regionCode: prev.regionCode, stationId: prev.stationId, orgId: sendingOrgId }),
      to: defined({ regionCode: to.regionCode, stationId: to.stationId }),
      ...identified(prev),
    }),
  });
  const events: EventDraft[] = [];
  if (sendingOrgId !== null) {
    const departed: EventDraft<"member.departed"> = {
      eventId: eventId("member.departed", ctx.platformId, signal.id),
      orgId: sendingOrgId,
      type: "member.departed",
      data: {
        subjectId: ctx.subjectId,
        fromOrgId: sendingOrgId,
        toOrgId: receiving.org.id,
        // Where the sending org knew the member to be (the signal's `from` is the platform's view of it).
        fromRegionCode: prev.regionCode,
        toRegionCode: to.regionCode,
        occurredAt: signal.occurredAt,
        transferTaskId: task.id,
      },
    };
    events.push(departed as EventDraft);
  }
  return { ...emptyDecision(), tasks: [task], events };
}
