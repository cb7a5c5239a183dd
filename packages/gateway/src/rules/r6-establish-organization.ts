import type { Signal, TaskOf } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import {
  type Decision,
  emptyDecision,
  type RuleContext,
  type StationChange,
  type WorkerRecord,
} from "./decision.js";
import { stationTaskId } from "./ids.js";
import { openTask } from "./record.js";
import { route } from "./routing.js";

/** R6's threshold: full members (正式党员) at one station. */
export const FULL_MEMBERS_FOR_GROUP = 3;

/** The station where the record counts as a full member, if any. Probationary members do not count. */
export function fullMemberStation(record: WorkerRecord | null): string | null {
  if (!record?.active || record.politicalStatus !== "member") return null;
  return record.stationId ?? null;
}

/**
 * R6: a station reached 3 full members and its covering org has no group for it →
 * `establish_organization` (组建党组织), once per station. This rule keeps the station's set of
 * full members up to date and names the task to create; whether this change is the one that brings
 * the set to {@link FULL_MEMBERS_FOR_GROUP} is decided atomically where the set is stored, so
 * concurrent signals cannot both fire it. "Has no group for it": no org lists the station (a
 * station-tier route). With no org covering the station at all there is nobody to ask, so no task.
 */
export function r6EstablishOrganization(signal: Signal, change: RecordChange, ctx: RuleContext): Decision {
  const before = fullMemberStation(change.prev);
  const after = fullMemberStation(change.next);
  const stations: StationChange[] = [];
  if (before !== null && before !== after) stations.push({ stationId: before, present: false });
  if (after !== null && change.next?.regionCode !== undefined) {
    // Re-adding a member already counted is harmless and lets a retried signal fire a missed task.
    const joined: StationChange = { stationId: after, present: true };
    const place = { platformId: ctx.platformId, regionCode: change.next.regionCode, stationId: after };
    const covering = route(ctx.table, place);
    if (covering && covering.tier !== "station") {
      const info = ctx.station?.stationId === after ? ctx.station : undefined;
      joined.candidate = openTask<TaskOf<"establish_organization">>(ctx, "establish_organization", {
        id: stationTaskId(ctx.platformId, after),
        kind: "establish_organization",
        rule: "R6",
        orgId: covering.org.id,
        signalId: signal.id,
        stationId: after,
        regionCode: info?.regionCode ?? change.next.regionCode,
        details: {
          stationName: info?.name ?? after,
          headcount: info?.headcount ?? 0,
          memberCount: FULL_MEMBERS_FOR_GROUP,
        },
      });
    }
    stations.push(joined);
  }
  return { ...emptyDecision(), stations };
}
