import type { PoliticalStatus, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import { type Decision, emptyDecision, failed, type RuleContext } from "./decision.js";
import { taskId } from "./ids.js";
import type { DeclaringSignal } from "./r1-register-member.js";
import { type ApplicantStatus, defined, identified, openTask } from "./record.js";
import { describePlace, route } from "./routing.js";

function isApplicantStatus(status: PoliticalStatus | undefined): status is ApplicantStatus {
  return status === "activist" || status === "applicant";
}

/**
 * R2: a worker declared activist or applicant → `mentor_applicant` (联系培养) for the covering org.
 * The same status declared again with the same org already mentoring makes no second task.
 */
export function r2MentorApplicant(signal: DeclaringSignal, change: RecordChange, ctx: RuleContext): Decision {
  const { prev, next } = change;
  // A stale declaration states nothing the record does not already know better; a worker no
  // longer on the platform is not registered through it.
  if (change.stale?.includes("membership") || next?.active !== true) return emptyDecision();
  const status = next?.politicalStatus;
  if (!next?.regionCode || signal.data.politicalStatus === undefined || !isApplicantStatus(status))
    return emptyDecision();
  const place = { platformId: ctx.platformId, regionCode: next.regionCode, stationId: next.stationId };
  const covering = route(ctx.table, place);
  if (!covering) return failed(describePlace(place));
  if (prev?.active && prev.politicalStatus === status && prev.orgId === covering.org.id)
    return emptyDecision();
  const task = openTask<TaskOf<"mentor_applicant">>(ctx, "mentor_applicant", {
    id: taskId(ctx.platformId, signal.id, "R2"),
    kind: "mentor_applicant",
    rule: "R2",
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
