import { type PoliticalStatus, taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { WorkerRecord } from "./decision.js";
import { taskId } from "./ids.js";
import { consentAll, consentMembership, makeRecord, makeSignal, NOW, ruleContext } from "./testing.js";

const DAY = 86_400_000;
const home = { name: "示例镇第一党支部", code: "ORG-1" };

describe("R1: a worker declared member or probationary → register_member for the covering org", () => {
  it.each<[string, PoliticalStatus, WorkerRecord | null, string | null]>([
    ["a new member", "member", null, "chaoyang-street"],
    ["a new probationary member", "probationary", null, "chaoyang-street"],
    ["an activist who joined", "member", makeRecord({ politicalStatus: "activist" }), "chaoyang-street"],
    ["a member known to another org", "member", makeRecord({ orgId: "pudong-district" }), "chaoyang-street"],
    // Only an onboarding brings a worker back to the platform; a declaration does not register them.
    ["a member who has been offboarded", "member", makeRecord({ active: false }), null],
    ["a member declaring again to the same org", "member", makeRecord(), null],
    [
      "a probationary member who became full",
      "member",
      makeRecord({ politicalStatus: "probationary" }),
      null,
    ],
    ["an activist", "activist", null, null],
    ["someone with no affiliation", "none", null, null],
  ])("%s", (_, politicalStatus, record, expectedOrg) => {
    const signal = makeSignal("membership.declared", {
      politicalStatus,
      regionCode: "110105001",
      stationId: undefined,
      homeOrganization: politicalStatus === "member" || politicalStatus === "probationary" ? home : undefined,
      contact: undefined,
      consent: consentMembership,
    });
    const decision = decide(signal, record, ruleContext());
    const tasks = decision.tasks.filter((t) => t.kind === "register_member");
    if (expectedOrg === null) {
      expect(tasks).toEqual([]);
      return;
    }
    expect(tasks).toHaveLength(1);
    const task = taskSchema.parse(tasks[0]);
    expect(task).toMatchObject({
      id: taskId("quickride", signal.id, "R1"),
      kind: "register_member",
      rule: "R1",
      status: "open",
      orgId: expectedOrg,
      subjectId: "sub_test_subject",
      platformId: "quickride",
      signalId: signal.id,
      regionCode: "110105001",
      details: { politicalStatus, homeOrganization: home },
    });
    expect(Date.parse(task.deadline) - NOW).toBe(7 * DAY);
    expect(task.details).not.toHaveProperty("contact");
    expect(task.details).not.toHaveProperty("workerId");
  });

  it("fires on onboarding that carries a member status", () => {
    const signal = makeSignal("worker.onboarded", { regionCode: "110105", stationId: undefined });
    const decision = decide(signal, null, ruleContext());
    expect(decision.tasks.map((t) => [t.kind, t.orgId])).toEqual([["register_member", "chaoyang-district"]]);
  });

  it("routes to the station's group when the platform has one there", () => {
    const signal = makeSignal("membership.declared", { stationId: "st_chaoyang_07", regionCode: "110105" });
    const decision = decide(signal, null, ruleContext({ platformId: "fastmeal" }));
    expect(decision.tasks[0]?.orgId).toBe("fastmeal-st07-group");
  });

  it("carries contact and worker id only with consent to share contact", () => {
    const contact = { name: "测试骑手甲", phone: "13800000001" };
    const shared = decide(
      makeSignal("membership.declared", { contact, consent: consentAll }),
      null,
      ruleContext(),
    );
    expect(shared.tasks[0]?.details).toMatchObject({ contact, workerId: "w_100001" });
    expect(shared.record).toMatchObject({ contact, workerId: "w_100001" });

    const notShared = decide(
      makeSignal("membership.declared", { contact: undefined, consent: consentMembership }),
      makeRecord({ contact, workerId: "w_100001", consent: consentAll, politicalStatus: "activist" }),
      ruleContext(),
    );
    // The newer consent no longer covers contact: it leaves the task and the record.
    expect(notShared.tasks[0]?.details).not.toHaveProperty("contact");
    expect(notShared.tasks[0]?.details).not.toHaveProperty("workerId");
    expect(notShared.record).not.toHaveProperty("contact");
    expect(notShared.record).not.toHaveProperty("workerId");
  });

  it("fails the whole signal with no_route where nobody covers the region, changing nothing", () => {
    const decision = decide(
      makeSignal("membership.declared", { regionCode: "440305", stationId: undefined }),
      null,
      ruleContext(),
    );
    expect(decision.failure).toEqual({
      reason: "no_route",
      detail: "no organization covers platform quickride, region 440305",
    });
    expect(decision.tasks).toEqual([]);
    expect(decision.record).toBeUndefined();
    expect(decision.stations).toEqual([]);
  });

  it("names the same task however often the signal is decided", () => {
    const signal = makeSignal("membership.declared");
    const first = decide(signal, null, ruleContext());
    const again = decide(signal, null, ruleContext({ now: NOW + 60_000 }));
    expect(again.tasks.map((t) => t.id)).toEqual(first.tasks.map((t) => t.id));
  });
});

describe("the worker record after a declaration", () => {
  it("keeps political status only under share_membership", () => {
    const withConsent = decide(makeSignal("membership.declared"), null, ruleContext());
    expect(withConsent.record?.politicalStatus).toBe("member");

    const none = decide(
      makeSignal("worker.onboarded", {
        politicalStatus: "none",
        homeOrganization: undefined,
        consent: undefined,
      }),
      makeRecord({ consent: undefined, politicalStatus: undefined, homeOrganization: undefined }),
      ruleContext(),
    );
    expect(none.record).not.toHaveProperty("politicalStatus");
    expect(none.record).not.toHaveProperty("consent");
  });

  it("keeps a known status when an onboarding carries none", () => {
    const decision = decide(
      makeSignal("worker.onboarded", {
        politicalStatus: undefined,
        homeOrganization: undefined,
        consent: undefined,
        regionCode: "110105001",
        stationId: undefined,
      }),
      makeRecord({ active: false }),
      ruleContext(),
    );
    expect(decision.record).toMatchObject({
      politicalStatus: "member",
      active: true,
      orgId: "chaoyang-street",
    });
    expect(decision.tasks).toEqual([]);
  });
});
