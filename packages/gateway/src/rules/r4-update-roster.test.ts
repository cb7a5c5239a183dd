import { taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { WorkerRecord } from "./decision.js";
import { taskId } from "./ids.js";
import { consentAll, makeRecord, makeSignal, NOW, ruleContext } from "./testing.js";

const DAY = 86_400_000;

describe("R4: a known member offboarded → update_roster for the covering org", () => {
  it.each<[string, WorkerRecord | null, string | null]>([
    ["a full member", makeRecord(), "chaoyang-street"],
    ["a probationary member", makeRecord({ politicalStatus: "probationary" }), "chaoyang-street"],
    [
      "a member whose place nobody covered when recorded",
      makeRecord({ orgId: null, regionCode: "110105002" }),
      "chaoyang-district",
    ],
    ["an applicant", makeRecord({ politicalStatus: "applicant" }), null],
    ["a member already offboarded", makeRecord({ active: false }), null],
    ["an unknown worker", null, null],
  ])("%s", (_, record, orgId) => {
    const signal = makeSignal("worker.offboarded", { reason: "contract_ended" });
    const decision = decide(signal, record, ruleContext());
    if (orgId === null) {
      expect(decision.tasks).toEqual([]);
      return;
    }
    const task = taskSchema.parse(decision.tasks[0]);
    expect(task).toMatchObject({
      id: taskId("quickride", signal.id, "R4"),
      kind: "update_roster",
      rule: "R4",
      orgId,
      details: { politicalStatus: record?.politicalStatus, reason: "contract_ended" },
    });
    expect(Date.parse(task.deadline) - NOW).toBe(30 * DAY);
  });

  it("hands contact to the roster task one last time, then forgets it", () => {
    const contact = { name: "测试骑手甲", phone: "13800000001" };
    const decision = decide(
      makeSignal("worker.offboarded"),
      makeRecord({ consent: consentAll, contact, workerId: "w_1" }),
      ruleContext(),
    );
    expect(decision.tasks[0]?.details).toMatchObject({ contact, workerId: "w_1" });
    expect(decision.record).toMatchObject({ active: false, politicalStatus: "member" });
    expect(decision.record).not.toHaveProperty("contact");
    expect(decision.record).not.toHaveProperty("workerId");
  });
});
