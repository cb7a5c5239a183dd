import { taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { StationChange, WorkerRecord } from "./decision.js";
import { stationTaskId } from "./ids.js";
import { FULL_MEMBERS_FOR_GROUP } from "./r6-establish-organization.js";
import { makeRecord, makeSignal, NOW, ruleContext } from "./testing.js";

const DAY = 86_400_000;
const atStation = (stationId: string, overrides: Partial<WorkerRecord> = {}) =>
  makeRecord({ regionCode: "110105001", stationId, ...overrides });

function summary(changes: StationChange[]) {
  return changes.map((c) => [c.stationId, c.present, c.candidate?.orgId ?? null]);
}

describe("R6: a station reached 3 full members and its covering org has no group for it → establish_organization", () => {
  it.each<[string, ReturnType<typeof makeSignal>, WorkerRecord | null, [string, boolean, string | null][]]>([
    [
      "a full member declared at a station",
      makeSignal("membership.declared", { regionCode: "110105001", stationId: "st_a" }),
      null,
      [["st_a", true, "chaoyang-street"]],
    ],
    [
      "a probationary member does not count",
      makeSignal("membership.declared", {
        politicalStatus: "probationary",
        regionCode: "110105001",
        stationId: "st_a",
      }),
      null,
      [],
    ],
    [
      "a member without a station counts nowhere",
      makeSignal("membership.declared", { regionCode: "110105001", stationId: undefined }),
      null,
      [],
    ],
    [
      "a member who moved station leaves one and joins the other",
      makeSignal("worker.relocated", {
        from: { regionCode: "110105001", stationId: "st_a" },
        to: { regionCode: "110105001", stationId: "st_b" },
      }),
      atStation("st_a"),
      [
        ["st_a", false, null],
        ["st_b", true, "chaoyang-street"],
      ],
    ],
    [
      "an offboarded member leaves the station",
      makeSignal("worker.offboarded"),
      atStation("st_a"),
      [["st_a", false, null]],
    ],
    [
      "a member who declares another status leaves the station",
      makeSignal("membership.declared", {
        politicalStatus: "none",
        homeOrganization: undefined,
        regionCode: "110105001",
        stationId: "st_a",
      }),
      atStation("st_a"),
      [["st_a", false, null]],
    ],
    ["an appeal changes no station", makeSignal("appeal.raised"), atStation("st_a"), []],
  ])("%s", (_, signal, record, expected) => {
    expect(summary(decide(signal, record, ruleContext()).stations)).toEqual(expected);
  });

  it("names no task where the platform already has a group at the station", () => {
    const signal = makeSignal("membership.declared", { regionCode: "110105", stationId: "st_chaoyang_07" });
    const decision = decide(signal, null, ruleContext({ platformId: "fastmeal" }));
    expect(summary(decision.stations)).toEqual([["st_chaoyang_07", true, null]]);
  });

  it("names one task per station, whichever signal brings it there", () => {
    const first = decide(
      makeSignal("membership.declared", { stationId: "st_a" }, { id: "s1" }),
      null,
      ruleContext(),
    );
    const second = decide(
      makeSignal("membership.declared", { stationId: "st_a" }, { id: "s2" }),
      null,
      ruleContext({ subjectId: "sub_other" }),
    );
    const candidate = first.stations[0]?.candidate;
    expect(candidate?.id).toBe(stationTaskId("quickride", "st_a"));
    expect(second.stations[0]?.candidate?.id).toBe(candidate?.id);
  });

  it("describes the station from its last station.updated", () => {
    const station = {
      platformId: "quickride",
      stationId: "st_a",
      name: "示例驿站",
      regionCode: "110105001",
      headcount: 40,
      updatedAt: "2024-06-01T00:00:00Z",
    };
    const decision = decide(
      makeSignal("membership.declared", { regionCode: "110105001", stationId: "st_a" }),
      null,
      ruleContext({ station }),
    );
    const task = taskSchema.parse(decision.stations[0]?.candidate);
    expect(task).toMatchObject({
      kind: "establish_organization",
      rule: "R6",
      orgId: "chaoyang-street",
      stationId: "st_a",
      details: { stationName: "示例驿站", headcount: 40, memberCount: FULL_MEMBERS_FOR_GROUP },
    });
    expect(task).not.toHaveProperty("subjectId");
    expect(Date.parse(task.deadline) - NOW).toBe(30 * DAY);
  });
});
