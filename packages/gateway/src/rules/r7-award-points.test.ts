import type { ActivityKind } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { WorkerRecord } from "./decision.js";
import { makeRecord, makeSignal, ruleContext } from "./testing.js";

describe("R7: an activity completed by a known member → a points entry and points.awarded", () => {
  it.each<[string, WorkerRecord | null, ActivityKind, number, number | null]>([
    ["org life counts double", makeRecord(), "org_life", 1.5, 3],
    ["volunteering counts double", makeRecord(), "volunteer", 2.5, 5],
    ["study counts once", makeRecord(), "study", 2, 2],
    ["training counts once", makeRecord({ politicalStatus: "probationary" }), "training", 0.25, 0.25],
    ["other counts half", makeRecord(), "other", 0.75, 0.375],
    ["an activist earns nothing", makeRecord({ politicalStatus: "activist" }), "study", 2, null],
    ["an offboarded member earns nothing", makeRecord({ active: false }), "study", 2, null],
    ["an unknown worker earns nothing", null, "study", 2, null],
  ])("%s", (_, record, kind, hours, points) => {
    const signal = makeSignal("activity.completed", { kind, hours, activityId: "act_1" });
    const decision = decide(signal, record, ruleContext());
    expect(decision.tasks).toEqual([]);
    expect(decision.record).toBeUndefined();
    if (points === null) {
      expect(decision.points).toBeUndefined();
      return;
    }
    expect(decision.points).toEqual({
      subjectId: "sub_test_subject",
      orgId: "chaoyang-street",
      activityId: "act_1",
      kind,
      hours,
      points,
      occurredAt: signal.occurredAt,
      signalId: signal.id,
    });
  });

  it("credits the org covering the member's place if none was on file", () => {
    const decision = decide(
      makeSignal("activity.completed"),
      makeRecord({ orgId: null, regionCode: "310115005" }),
      ruleContext(),
    );
    expect(decision.points?.orgId).toBe("pudong-district");
  });
});
