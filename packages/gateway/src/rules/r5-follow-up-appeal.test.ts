import { taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { WorkerRecord } from "./decision.js";
import { taskId } from "./ids.js";
import { consentAll, makeRecord, makeSignal, NOW, ruleContext } from "./testing.js";

const DAY = 86_400_000;

describe("R5: any worker raised an appeal → follow_up_appeal, urgent 1 day, normal 7 days", () => {
  it.each<[string, "urgent" | "normal", string, WorkerRecord | null, string, string | undefined, number]>([
    ["an unknown worker, urgent", "urgent", "110105001", null, "chaoyang-street", undefined, 1],
    ["an unknown worker, normal", "normal", "110105001", null, "chaoyang-street", undefined, 7],
    [
      "a non-member",
      "normal",
      "310115005",
      makeRecord({ politicalStatus: "none" }),
      "pudong-district",
      undefined,
      7,
    ],
    // The worker's station counts when the appeal comes from where they work.
    [
      "a fastmeal worker at a station with a group",
      "urgent",
      "110105",
      makeRecord({ platformId: "fastmeal", regionCode: "110105", stationId: "st_chaoyang_07" }),
      "fastmeal-st07-group",
      "st_chaoyang_07",
      1,
    ],
    [
      "a fastmeal worker appealing elsewhere",
      "urgent",
      "110105001",
      makeRecord({ platformId: "fastmeal", regionCode: "110105", stationId: "st_chaoyang_07" }),
      "fastmeal-chaoyang",
      undefined,
      1,
    ],
  ])("%s", (_, urgency, regionCode, record, orgId, stationId, days) => {
    const signal = makeSignal("appeal.raised", { urgency, regionCode });
    const platformId = record?.platformId ?? "quickride";
    const decision = decide(signal, record, ruleContext({ platformId }));
    const task = taskSchema.parse(decision.tasks[0]);
    expect(task).toMatchObject({
      id: taskId(platformId, signal.id, "R5"),
      kind: "follow_up_appeal",
      rule: "R5",
      orgId,
      regionCode,
      details: { category: "wages", urgency, summary: signal.data.summary },
    });
    expect(task.stationId).toBe(stationId);
    expect(Date.parse(task.deadline) - NOW).toBe(days * DAY);
    expect(decision.record).toBeUndefined();
  });

  it("takes deadlines from configuration", () => {
    const deadlines = { ...ruleContext().deadlines, follow_up_appeal_urgent: 5_000 };
    const decision = decide(makeSignal("appeal.raised"), null, ruleContext({ deadlines }));
    expect(Date.parse(decision.tasks[0]!.deadline) - NOW).toBe(5_000);
  });

  it("identifies the worker only with consent to share contact", () => {
    const contact = { name: "测试骑手甲", phone: "13800000001" };
    const shared = decide(
      makeSignal("appeal.raised"),
      makeRecord({ consent: consentAll, contact, workerId: "w_100002" }),
      ruleContext(),
    );
    expect(shared.tasks[0]?.details).toMatchObject({ contact, workerId: "w_100002" });
    const anonymous = decide(makeSignal("appeal.raised"), makeRecord({ contact }), ruleContext());
    expect(anonymous.tasks[0]?.details).not.toHaveProperty("contact");
    expect(anonymous.tasks[0]?.details).not.toHaveProperty("workerId");
  });

  it("fails with no_route where nobody covers the appeal's region", () => {
    const decision = decide(makeSignal("appeal.raised", { regionCode: "440305" }), null, ruleContext());
    expect(decision.failure).toEqual({
      reason: "no_route",
      detail: "no organization covers platform quickride, region 440305",
    });
  });
});
