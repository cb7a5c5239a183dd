import { DAY } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectIdOf } from "../core/master-key.js";
import { workerKeys } from "../processing/keys.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { taskKeys } from "./keys.js";
import { sweepFinishedTasks } from "./retention.js";

describe("retention", () => {
  let t: TestGateway;
  let now = Date.now();
  beforeAll(async () => {
    t = await startTestGateway({
      now: () => now,
      config: { retention: { tasks: "180d", decisions: "3d", offboardedRecords: "60d" } },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  const send = async (signal: Record<string, unknown>) => {
    const res = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: signal });
    expect(res.status).toBe(202);
  };
  const appeal = (id: string) => ({
    id,
    type: "appeal.raised",
    occurredAt: "2026-11-29T09:00:00+08:00",
    data: {
      workerId: `w_${id}`,
      category: "housing",
      urgency: "normal",
      summary: "Rent",
      regionCode: "110105001",
    },
  });
  const taskOf = async (signalId: string) =>
    waitFor(
      async () => {
        const res = await t.call("GET", "/v1/tasks?limit=100", { key: testKeys.streetA });
        const items = ((await res.json()) as { items: { id: string; signalId: string }[] }).items;
        return items.find((x) => x.signalId === signalId)?.id;
      },
      { description: `the task of ${signalId}` },
    );
  const status = async (id: string) =>
    (await t.call("GET", `/v1/tasks/${id}`, { key: testKeys.streetA })).status;
  const listed = async (query = "") => {
    const res = await t.call("GET", `/v1/tasks?limit=100${query}`, { key: testKeys.streetA });
    return ((await res.json()) as { items: { id: string }[] }).items.map((x) => x.id);
  };

  it("removes completed and cancelled tasks once their lifetime passed, never open or acknowledged ones", async () => {
    for (const id of ["r-open", "r-ack", "r-done", "r-cancelled"]) await send(appeal(id));
    const ids = {
      open: await taskOf("r-open"),
      ack: await taskOf("r-ack"),
      done: await taskOf("r-done"),
      cancelled: await taskOf("r-cancelled"),
    };
    const act = (id: string, action: string, body?: unknown) =>
      t.call("POST", `/v1/tasks/${id}/${action}`, { key: testKeys.streetA, ...(body ? { body } : {}) });
    expect((await act(ids.ack, "acknowledge")).status).toBe(200);
    expect((await act(ids.done, "complete", { note: "Helped" })).status).toBe(200);
    expect((await act(ids.cancelled, "cancel", { reason: "Duplicate" })).status).toBe(200);

    // A day short of the lifetime: everything stays.
    now += 179 * DAY;
    expect(await sweepFinishedTasks(t.running.gw)).toBe(0);
    for (const id of Object.values(ids)) expect(await status(id)).toBe(200);

    // Past it: the finished ones go, with their index entries and owner claims.
    now += 2 * DAY;
    expect(await sweepFinishedTasks(t.running.gw)).toBe(2);
    expect(await status(ids.done)).toBe(404);
    expect(await status(ids.cancelled)).toBe(404);
    expect(await listed()).toEqual(expect.not.arrayContaining([ids.done, ids.cancelled]));
    expect(await listed("&status=completed")).toEqual([]);
    const redis = t.redis.client();
    expect(await redis.exists(taskKeys.owner(ids.done), taskKeys.task("street-a", ids.done))).toBe(0);

    // Open and acknowledged tasks stay however old they get.
    now += 3650 * DAY;
    expect(await sweepFinishedTasks(t.running.gw)).toBe(0);
    expect(await status(ids.open)).toBe(200);
    expect(await status(ids.ack)).toBe(200);
    expect(await listed()).toEqual(expect.arrayContaining([ids.open, ids.ack]));
    redis.disconnect();
  });

  it("keeps an offboarded worker's record and ledger for retention.offboardedRecords, an active one's for good", async () => {
    const redis = t.redis.client();
    const subject = (workerId: string) => subjectIdOf(t.running.gw.masterKey, "platform-a", workerId);
    const onboard = (id: string, workerId: string, at = "2026-11-29T10:00:00Z") => ({
      id,
      type: "worker.onboarded",
      occurredAt: at,
      data: { workerId, role: "rider", employment: "full_time", regionCode: "110105001" },
    });
    await send(onboard("k-on-1", "w_stays"));
    await send(onboard("k-on-2", "w_leaves"));
    await send({
      id: "k-off-2",
      type: "worker.offboarded",
      occurredAt: "2026-11-29T11:00:00Z",
      data: { workerId: "w_leaves", reason: "resigned" },
    });
    const leaving = workerKeys.record(subject("w_leaves"));
    const ttl = await waitFor(
      async () => {
        const ms = await redis.pttl(leaving);
        return ms > 0 ? ms : undefined;
      },
      { description: "the offboarded record's lifetime" },
    );
    expect(ttl).toBeGreaterThan(59 * DAY);
    expect(ttl).toBeLessThanOrEqual(60 * DAY);
    expect(await redis.pttl(workerKeys.record(subject("w_stays")))).toBe(-1);
    // The decision memo lives for retention.decisions.
    const memo = await redis.pttl(workerKeys.decision(subject("w_stays"), "k-on-1"));
    expect(memo).toBeGreaterThan(2 * DAY);
    expect(memo).toBeLessThanOrEqual(3 * DAY);
    // Onboarded again: the record is kept for good.
    await send(onboard("k-on-3", "w_leaves", "2026-11-29T12:00:00Z"));
    await waitFor(async () => (await redis.pttl(leaving)) === -1, { description: "the record kept again" });
    redis.disconnect();
  });
});
