import type { Signal } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { decide } from "./decide.js";
import type { Decision, WorkerRecord } from "./decision.js";
import { PLACE_HISTORY } from "./merge.js";
import { consentAll, consentMembership, makeRecord, makeSignal, ruleContext } from "./testing.js";

const ctx = ruleContext();
const at = (day: number) => `2024-06-${String(day).padStart(2, "0")}T08:00:00+08:00`;

const onboard = (day: number, regionCode = "110105001", extra: object = {}) =>
  makeSignal(
    "worker.onboarded",
    {
      regionCode,
      stationId: undefined,
      politicalStatus: "member",
      homeOrganization: { name: "示例支部" },
      ...extra,
    },
    { id: `onb-${day}`, occurredAt: at(day) },
  );
const move = (day: number, regionCode: string, id = `mov-${day}`) =>
  makeSignal("worker.relocated", { to: { regionCode } }, { id, occurredAt: at(day) });
const offboard = (day: number) =>
  makeSignal("worker.offboarded", {}, { id: `off-${day}`, occurredAt: at(day) });

/** Decides each signal on the record the previous one left, as processing does; every decision. */
function processAll(signals: Signal[], record: WorkerRecord | null = null) {
  const decisions: Decision[] = [];
  for (const signal of signals) {
    const decision = decide(signal, record, ctx);
    decisions.push(decision);
    if (decision.record) record = decision.record;
  }
  return { record, decisions, last: decisions.at(-1) as Decision };
}

describe("facts follow the newest occurredAt, whatever the arrival order", () => {
  it("an older onboarding processed after a relocation leaves the worker at the new place", () => {
    const { record, last } = processAll([move(10, "310115005"), onboard(1)]);
    expect(record).toMatchObject({
      regionCode: "310115005",
      orgId: "pudong-district",
      politicalStatus: "member",
    });
    expect(last.stale).toEqual(["place"]);
    // The member now works in Pudong, so Pudong registers them; there is nothing to transfer.
    expect(last.tasks.map((t) => [t.kind, t.orgId])).toEqual([["register_member", "pudong-district"]]);
  });

  it("a move that a later move already replaced makes no transfer task and no notice", () => {
    const { record, last } = processAll([onboard(1), move(20, "310115005"), move(10, "110108")]);
    expect(record?.regionCode).toBe("310115005");
    expect(last.stale).toEqual(["place"]);
    expect(last.tasks).toEqual([]);
    expect(last.events).toEqual([]);
    // It is still where the worker was in between.
    expect(record?.places?.map((p) => p.regionCode)).toEqual(["110105001", "110108", "310115005"]);
  });

  it("breaks a tie in occurredAt by signal id", () => {
    const a = move(10, "110108", "mov-a");
    const b = move(10, "310115005", "mov-b");
    expect(processAll([onboard(1), a, b]).record?.regionCode).toBe("310115005");
    expect(processAll([onboard(1), b, a]).record?.regionCode).toBe("310115005");
  });

  it("compares instants, not strings: +08:00 and Z", () => {
    const late = makeSignal(
      "worker.relocated",
      { to: { regionCode: "110108" } },
      {
        id: "z",
        occurredAt: "2024-06-10T01:00:00Z",
      },
    );
    // 08:30+08:00 is 00:30Z, half an hour before `late`, though its string sorts after it.
    const early = makeSignal(
      "worker.relocated",
      { to: { regionCode: "310115005" } },
      {
        id: "a",
        occurredAt: "2024-06-10T08:30:00+08:00",
      },
    );
    expect(processAll([onboard(1), late, early]).record?.regionCode).toBe("110108");
  });

  it("a stale signal that changes nothing at all leaves the record as it was", () => {
    const { record, decisions } = processAll([onboard(1), move(10, "310115005")]);
    const again = decide(move(5, "310115005", "mov-5"), record, ctx);
    expect(again.stale).toEqual(["place"]);
    // The place history gains the older move; the current facts do not change.
    expect(again.record?.regionCode).toBe("310115005");
    expect(again.record?.facts?.place?.signalId).toBe("mov-10");
    expect(decisions[1]?.stale).toBeUndefined();
  });

  it("keeps each fact's own stamp: a stale place does not hold back a newer membership", () => {
    const declare = makeSignal(
      "membership.declared",
      {
        regionCode: "110105001",
        stationId: undefined,
        politicalStatus: "activist",
        homeOrganization: undefined,
      },
      { id: "decl", occurredAt: at(15) },
    );
    const { record, last } = processAll([onboard(1), move(20, "310115005"), declare]);
    expect(last.stale).toEqual(["place"]);
    expect(record).toMatchObject({ regionCode: "310115005", politicalStatus: "activist" });
    // Mentoring goes to the org where the worker works now.
    expect(last.tasks.map((t) => [t.kind, t.orgId])).toEqual([["mentor_applicant", "pudong-district"]]);
  });

  it("a narrowed consent clears what it no longer covers as of its time, even processed first", () => {
    const narrow = makeSignal(
      "worker.onboarded",
      {
        politicalStatus: undefined,
        homeOrganization: undefined,
        consent: { ...consentAll, scopes: ["share_contact"] },
      },
      { id: "narrow", occurredAt: at(10) },
    );
    const inOrder = processAll([onboard(1, "110105001", { consent: consentMembership }), narrow]).record;
    const reversed = processAll([narrow, onboard(1, "110105001", { consent: consentMembership })]).record;
    expect(inOrder).not.toHaveProperty("politicalStatus");
    expect(reversed).toEqual(inOrder);
  });

  it("keeps at most PLACE_HISTORY places, the newest", () => {
    const moves = Array.from({ length: PLACE_HISTORY + 3 }, (_, i) =>
      move(i + 2, i % 2 ? "110108" : "310115005"),
    );
    const { record } = processAll([onboard(1), ...moves.reverse()]);
    expect(record?.places).toHaveLength(PLACE_HISTORY);
    expect(record?.places?.at(-1)?.signalId).toBe(`mov-${PLACE_HISTORY + 4}`);
    expect(record?.places?.[0]?.signalId).toBe("mov-5");
  });

  it("treats every fact of a record stored before stamps as set at its updatedAt", () => {
    const legacy = makeRecord({ updatedAt: "2024-06-10T00:00:00Z" });
    const older = decide(move(5, "310115005"), legacy, ctx);
    expect(older.stale).toEqual(["place"]);
    expect(older.tasks).toEqual([]);
    const newer = decide(move(20, "310115005"), legacy, ctx);
    expect(newer.stale).toBeUndefined();
    expect(newer.tasks.map((t) => t.kind)).toEqual(["transfer_relation"]);
  });
});

describe("employment: offboarding and onboarding", () => {
  it("offboarded, then an older onboarding: the worker stays offboarded, and nobody is asked to register them", () => {
    const { record, last } = processAll([onboard(1), offboard(20), onboard(10, "110108")]);
    expect(record?.active).toBe(false);
    // Its consent lacks share_contact, which would clear contact, but the offboarding cleared it later.
    expect(last.stale).toEqual(["employment", "contact"]);
    expect(last.tasks).toEqual([]);
    // Where the worker was on day 10 is still a fact newer than day 1.
    expect(record?.regionCode).toBe("110108");
  });

  it("an offboarding seen before anything else is remembered, so an older onboarding does not revive the worker", () => {
    const { record } = processAll([offboard(20), onboard(1)]);
    expect(record).toMatchObject({ active: false, regionCode: "110105001", politicalStatus: "member" });
    expect(record).not.toHaveProperty("workerId");
    expect(record).not.toHaveProperty("contact");
  });

  it("a newer onboarding after offboarding is a re-onboarding", () => {
    const { record, last } = processAll([onboard(1), offboard(10), onboard(20, "310115005")]);
    expect(record).toMatchObject({ active: true, regionCode: "310115005" });
    expect(last.stale).toBeUndefined();
    expect(last.tasks.map((t) => [t.kind, t.orgId])).toEqual([["register_member", "pudong-district"]]);
  });

  it("an offboarding older than a re-onboarding updates no roster and keeps the contact", () => {
    const contact = { name: "测试骑手甲", phone: "13800000001" };
    const { record, last } = processAll([
      onboard(1, "110105001", { consent: consentAll, contact }),
      onboard(20, "110105001", { consent: consentAll, contact }),
      offboard(10),
    ]);
    expect(last.stale).toEqual(["employment", "contact"]);
    expect(last.tasks).toEqual([]);
    expect(record).toMatchObject({ active: true, contact });
  });
});

describe("events are never dropped for being old", () => {
  const appeal = (day: number, regionCode = "110105") =>
    makeSignal("appeal.raised", { regionCode }, { id: `apl-${day}`, occurredAt: at(day) });

  it("routes an old appeal by where the worker was when they raised it", () => {
    const { record } = processAll([onboard(1, "110105001"), move(20, "110108")]);
    const old = decide(appeal(10), record, ctx);
    expect(old.tasks.map((t) => [t.kind, t.orgId, t.regionCode])).toEqual([
      ["follow_up_appeal", "chaoyang-street", "110105001"],
    ]);
  });

  it("routes by the current place when the record knows no place that early", () => {
    const { record } = processAll([move(20, "110105001")]);
    expect(decide(appeal(10), record, ctx).tasks[0]?.orgId).toBe("chaoyang-street");
  });

  it("routes by the appeal's own region when the worker was elsewhere, or is unknown", () => {
    const { record } = processAll([onboard(1, "310115005")]);
    expect(decide(appeal(10), record, ctx).tasks[0]?.orgId).toBe("chaoyang-district");
    expect(decide(appeal(10), null, ctx).tasks[0]?.orgId).toBe("chaoyang-district");
  });

  it("awards points for an old activity of a known member", () => {
    const { record } = processAll([onboard(1), move(20, "110108")]);
    const activity = makeSignal("activity.completed", {}, { id: "act-old", occurredAt: at(2) });
    expect(decide(activity, record, ctx).points).toMatchObject({ activityId: activity.data.activityId });
  });
});
