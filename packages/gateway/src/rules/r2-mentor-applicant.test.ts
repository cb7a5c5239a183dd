import { type PoliticalStatus, taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { WorkerRecord } from "./decision.js";
import { taskId } from "./ids.js";
import { consentMembership, makeRecord, makeSignal, NOW, ruleContext } from "./testing.js";

const DAY = 86_400_000;

describe("R2: a worker declared activist or applicant → mentor_applicant for the covering org", () => {
  it.each<[string, PoliticalStatus, WorkerRecord | null, string | null]>([
    ["a new activist", "activist", null, "chaoyang-district"],
    ["a new applicant", "applicant", null, "chaoyang-district"],
    [
      "an applicant who became an activist",
      "activist",
      makeRecord({ politicalStatus: "applicant" }),
      "chaoyang-district",
    ],
    [
      "an activist declaring again to the same org",
      "activist",
      makeRecord({ politicalStatus: "activist", orgId: "chaoyang-district" }),
      null,
    ],
    [
      "an activist now covered by another org",
      "activist",
      makeRecord({ politicalStatus: "activist", orgId: "pudong-district" }),
      "chaoyang-district",
    ],
    ["a league member", "league_member", null, null],
    ["a member", "member", null, null],
  ])("%s", (_, politicalStatus, record, expectedOrg) => {
    const signal = makeSignal("membership.declared", {
      politicalStatus,
      regionCode: "110105",
      stationId: undefined,
      homeOrganization: politicalStatus === "member" ? { name: "示例支部" } : undefined,
      contact: undefined,
      consent: consentMembership,
    });
    const tasks = decide(signal, record, ruleContext()).tasks.filter((t) => t.kind === "mentor_applicant");
    if (expectedOrg === null) {
      expect(tasks).toEqual([]);
      return;
    }
    expect(tasks).toHaveLength(1);
    const task = taskSchema.parse(tasks[0]);
    expect(task).toMatchObject({
      id: taskId("quickride", signal.id, "R2"),
      rule: "R2",
      orgId: expectedOrg,
      status: "open",
      details: { politicalStatus },
    });
    expect(Date.parse(task.deadline) - NOW).toBe(30 * DAY);
  });

  it("fails with no_route where nobody covers the region", () => {
    const signal = makeSignal("membership.declared", {
      politicalStatus: "applicant",
      homeOrganization: undefined,
      regionCode: "440305",
      stationId: undefined,
    });
    expect(decide(signal, null, ruleContext()).failure?.reason).toBe("no_route");
  });
});
