import { memberDepartedDataSchema, taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { WorkerRecord } from "./decision.js";
import { eventId, taskId } from "./ids.js";
import { consentAll, makeRecord, makeSignal, NOW, ruleContext } from "./testing.js";

const DAY = 86_400_000;

function relocation(to: { regionCode: string; stationId?: string }) {
  return makeSignal("worker.relocated", { from: { regionCode: "110105001" }, to });
}

describe("R3: a known member relocated → transfer_relation for the receiving org, member.departed to the sending org", () => {
  it.each<[string, WorkerRecord | null, string | null]>([
    ["a full member", makeRecord(), "pudong-district"],
    ["a probationary member", makeRecord({ politicalStatus: "probationary" }), "pudong-district"],
    ["an activist", makeRecord({ politicalStatus: "activist" }), null],
    ["a worker with no status on file", makeRecord({ politicalStatus: undefined }), null],
    ["an offboarded member", makeRecord({ active: false }), null],
    ["an unknown worker", null, null],
  ])("%s", (_, record, receiving) => {
    const signal = relocation({ regionCode: "310115005" });
    const decision = decide(signal, record, ruleContext());
    if (receiving === null) {
      expect(decision.tasks).toEqual([]);
      expect(decision.events).toEqual([]);
      expect(decision.record?.regionCode).toBe("310115005");
      return;
    }
    expect(decision.tasks).toHaveLength(1);
    const task = taskSchema.parse(decision.tasks[0]);
    expect(task).toMatchObject({
      id: taskId("quickride", signal.id, "R3"),
      kind: "transfer_relation",
      rule: "R3",
      orgId: receiving,
      regionCode: "310115005",
      details: {
        politicalStatus: record?.politicalStatus,
        from: { regionCode: "110105001", orgId: "chaoyang-street" },
        to: { regionCode: "310115005" },
      },
    });
    expect(Date.parse(task.deadline) - NOW).toBe(14 * DAY);

    expect(decision.events).toHaveLength(1);
    const [event] = decision.events;
    expect(event).toMatchObject({
      eventId: eventId("member.departed", "quickride", signal.id),
      orgId: "chaoyang-street",
      type: "member.departed",
    });
    expect(memberDepartedDataSchema.parse(event?.data)).toEqual({
      subjectId: "sub_test_subject",
      fromOrgId: "chaoyang-street",
      toOrgId: "pudong-district",
      fromRegionCode: "110105001",
      toRegionCode: "310115005",
      occurredAt: signal.occurredAt,
      transferTaskId: task.id,
    });
    expect(decision.record).toMatchObject({ regionCode: "310115005", orgId: "pudong-district" });
  });

  it("transfers nothing when the move stays with the same org", () => {
    const decision = decide(
      relocation({ regionCode: "110105001", stationId: "st_9" }),
      makeRecord(),
      ruleContext(),
    );
    expect(decision.tasks).toEqual([]);
    expect(decision.events).toEqual([]);
    expect(decision.record).toMatchObject({ stationId: "st_9", orgId: "chaoyang-street" });
  });

  it("carries contact only with consent to share it", () => {
    const contact = { name: "测试骑手甲", phone: "13800000001" };
    const shared = decide(
      relocation({ regionCode: "310115005" }),
      makeRecord({ consent: consentAll, contact, workerId: "w_1" }),
      ruleContext(),
    );
    expect(shared.tasks[0]?.details).toMatchObject({ contact, workerId: "w_1" });
    const kept = decide(relocation({ regionCode: "310115005" }), makeRecord({ contact }), ruleContext());
    expect(kept.tasks[0]?.details).not.toHaveProperty("contact");
  });

  it("fails with no_route when nobody covers where the member moved", () => {
    const decision = decide(relocation({ regionCode: "440305" }), makeRecord(), ruleContext());
    expect(decision.failure?.reason).toBe("no_route");
    expect(decision.record).toBeUndefined();
  });

  it("moves a non-member even where nobody covers the new place", () => {
    const decision = decide(
      relocation({ regionCode: "440305" }),
      makeRecord({ politicalStatus: "none" }),
      ruleContext(),
    );
    expect(decision.failure).toBeUndefined();
    expect(decision.record).toMatchObject({ regionCode: "440305", orgId: null });
  });
});
