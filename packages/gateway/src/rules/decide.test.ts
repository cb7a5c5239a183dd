import { describe, expect, it } from "vitest";
import { decide, workerIdOf } from "./decide.js";
import { makeRecord, makeSignal, ruleContext } from "./testing.js";

describe("decide", () => {
  it("records a station's details from station.updated and touches no worker", () => {
    const signal = makeSignal("station.updated");
    const decision = decide(signal, null, ruleContext({ subjectId: "" }));
    expect(decision).toEqual({
      tasks: [],
      events: [],
      stations: [],
      station: {
        platformId: "quickride",
        stationId: "st_chaoyang_07",
        name: "朝阳门骑手驿站",
        regionCode: "110105",
        headcount: 42,
        updatedAt: signal.occurredAt,
      },
    });
    expect(workerIdOf(signal)).toBeNull();
  });

  it("is pure: the same inputs give the same decision", () => {
    const record = makeRecord();
    const snapshot = structuredClone(record);
    const signal = makeSignal("worker.relocated", { to: { regionCode: "310115005" } });
    expect(decide(signal, record, ruleContext())).toEqual(decide(signal, record, ruleContext()));
    expect(record).toEqual(snapshot);
  });

  it("leaves the record alone for signals that do not change it", () => {
    for (const signal of [makeSignal("appeal.raised"), makeSignal("activity.completed")]) {
      expect(decide(signal, makeRecord(), ruleContext()).record).toBeUndefined();
    }
  });
});
