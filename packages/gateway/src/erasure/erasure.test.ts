import { randomBytes } from "node:crypto";
import type { Erasure, Signal, Task } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type QueueKey, queues } from "../core/keys.js";
import { subjectIdOf } from "../core/master-key.js";
import { Receiver } from "../delivery/testing.js";
import type { AuditEntry, Replay } from "../ops/schemas.js";
import { ops, send, waitForFailed } from "../ops/testing.js";
import { stationKeys, workerKeys } from "../processing/keys.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { personalData } from "./personal-data.js";
import { dumpRedis, keysHolding, lifeOf, type Person, person, personalStrings } from "./testing.js";

/**
 * Erasure end to end against the real gateway: a worker with consented contact, an appeal, a
 * completed activity, a task note and a failed delivery whose receiver echoed the body is erased;
 * then nothing in Redis or any queue holds its id, name, phone, appeal text or note.
 */
describe("erasure end to end", () => {
  let t: TestGateway;
  let hook: Receiver;
  let archive: Receiver;
  const station = "st_erase_1";
  const region = "110105001";

  beforeAll(async () => {
    hook = await Receiver.start();
    archive = await Receiver.start();
    // The archive refuses and echoes what it was sent, so the attempt log holds personal data too.
    archive.reply = (request) => ({ status: 500, body: request.body.slice(0, 900) });
    const secret = () => `whsec_${randomBytes(32).toString("base64")}`;
    t = await startTestGateway({
      config: {
        endpoints: [
          { id: "street-a-hook", org: "street-a", url: hook.url, secret: secret() },
          {
            id: "street-a-archive",
            org: "street-a",
            url: archive.url,
            secret: secret(),
            events: ["task.created"],
          },
        ],
        retry: { schedule: [0, 20], jitter: 0 },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await hook?.close();
    await archive?.close();
  });

  const subjectOf = (p: Person) => subjectIdOf(t.running.gw.masterKey, "platform-a", p.workerId);

  async function statusOf(id: string) {
    const response = await t.call("GET", `/v1/signals/${encodeURIComponent(id)}`, { key: testKeys.platform });
    expect(response.status).toBe(200);
    return (await response.json()) as { status: string; tasks: string[]; failure?: { reason: string } };
  }

  const settled = (id: string) =>
    waitFor(
      async () => {
        const s = await statusOf(id);
        return s.status === "queued" ? undefined : s;
      },
      { description: `signal ${id} to settle` },
    );

  async function erase(workerId: string): Promise<Erasure> {
    const response = await t.call("DELETE", `/v1/workers/${encodeURIComponent(workerId)}`, {
      key: testKeys.platform,
    });
    expect(response.status).toBe(202);
    const erasure = (await response.json()) as Erasure;
    expect(response.headers.get("location")).toBe(`/v1/erasures/${erasure.id}`);
    return erasure;
  }

  const completed = (id: string) =>
    waitFor(
      async () => {
        const response = await t.call("GET", `/v1/erasures/${id}`, { key: testKeys.platform });
        const erasure = (await response.json()) as Erasure;
        return erasure.status === "completed" ? erasure : undefined;
      },
      { description: `erasure ${id} to complete` },
    );

  /** Every job of every queue, in every state, as text. */
  async function allJobs(): Promise<string[]> {
    const out: string[] = [];
    for (const name of Object.keys(queues) as QueueKey[]) {
      const jobs = (await t.running.gw.queue(name).getJobs()) as Job[];
      for (const job of jobs)
        out.push(JSON.stringify([job.id, job.data, job.returnvalue, job.failedReason, job.stacktrace]));
    }
    return out;
  }

  async function tasksOfStreetA(): Promise<Task[]> {
    const response = await t.call("GET", "/v1/tasks?limit=100", { key: testKeys.streetA });
    return ((await response.json()) as { items: Task[] }).items;
  }

  it("erases the worker everywhere; the org keeps its tasks and hears worker.erased; later signals and replays are refused", async () => {
    const p = person("e2e");
    const subjectId = subjectOf(p);
    const life = lifeOf(p, "er", region, station);
    // One more appeal, from a place no org covers: it fails as no_route and waits for a replay.
    const lost = {
      ...(life[1] as Signal),
      id: "er-lost",
      data: { ...life[1]?.data, regionCode: "310115" },
    } as Signal;
    await send(t, [...life, lost]);
    expect(await settled(lost.id)).toMatchObject({ status: "failed", failure: { reason: "no_route" } });
    const [declared, appeal] = await Promise.all(life.map((s) => settled(s.id)));
    expect(declared?.status).toBe("processed");
    const taskIds = [...(declared?.tasks ?? []), ...(appeal?.tasks ?? [])].sort();
    expect(taskIds).toHaveLength(2);
    // Both task.created webhooks to the archive fail and wait for a replay.
    await waitForFailed(t, "deliveries", 2);
    // The org completes the appeal with a note that names the worker.
    const appealTask = appeal?.tasks[0] as string;
    const done = await t.call("POST", `/v1/tasks/${appealTask}/complete`, {
      key: testKeys.streetA,
      body: { note: p.note },
    });
    expect(done.status).toBe(200);
    await waitFor(() => hook.requests.some((r) => r.body.includes('"task.updated"')), {
      description: "task.updated delivered",
    });

    // Before: the personal data is in many keys, and each of them is one the registry names.
    const before = keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p));
    expect(before.size).toBeGreaterThan(5);
    const uncovered = [...before.keys()].filter((key) => !personalData.some((d) => d.match.test(key)));
    expect(uncovered, "keys holding personal data that erasure does not cover").toEqual([]);
    const kinds = new Set(
      [...before.keys()].map((key) => personalData.find((d) => d.match.test(key))?.where),
    );
    // The scan sees what it should: the record, decisions, signal jobs, tasks, webhooks and their attempt logs.
    expect([...kinds].sort()).toEqual(
      [
        "gb:{w:<subject>}:record",
        "gb:{w:<subject>}:decision:<signal id>",
        "{gb:signals}:signals:<platform>|<signal id> (BullMQ job, any state)",
        "gb:{o:<org>}:task:<task id>",
        "{gb:deliveries}:deliveries:<message id> (BullMQ job, any state)",
        "gb:{eo:<org>}:ep:<endpoint>:attempts, gb:{eo:<org>}:msg:<message id>:attempts",
      ].sort(),
    );

    const erasure = await erase(p.workerId);
    expect(erasure.id).toMatch(/^era_/);
    await completed(erasure.id);

    // After: no key and no job in any queue holds any of it.
    const after = keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p));
    expect([...after.entries()]).toEqual([]);
    for (const job of await allJobs()) for (const s of personalStrings(p)) expect(job).not.toContain(s);
    expect(await t.running.gw.redis.exists(workerKeys.record(subjectId))).toBe(0);
    expect(await t.running.gw.redis.sismember(stationKeys.members("platform-a", station), subjectId)).toBe(0);
    expect(Number(await t.running.gw.redis.get(workerKeys.balance(subjectId)))).toBeGreaterThan(0);

    // The org's tasks remain, counted as before, without the worker's fields.
    const tasks = (await tasksOfStreetA()).filter((task) => taskIds.includes(task.id));
    expect(tasks.map((task) => task.id).sort()).toEqual(taskIds);
    for (const task of tasks) {
      expect(task.erasedAt).toBeDefined();
      expect(task.subjectId).toBe(subjectId);
      expect(task.details).not.toHaveProperty("workerId");
      expect(task.details).not.toHaveProperty("contact");
    }
    const closed = tasks.find((task) => task.id === appealTask);
    expect(closed).toMatchObject({ status: "completed", note: "[erased]", details: { summary: "[erased]" } });

    // worker.erased reaches the org with the subject and its task ids only.
    const notice = await waitFor(() => hook.requests.find((r) => r.body.includes('"worker.erased"')), {
      description: "worker.erased delivered",
    });
    expect(JSON.parse(notice.body).data).toEqual({ subjectId, taskIds });

    // Erasure wins over every later signal, whatever its occurredAt; nothing recreates the record.
    const late: Signal[] = [
      { ...(life[2] as Signal), id: "er-late-activity", occurredAt: "2099-01-01T00:00:00Z" },
      { ...(life[0] as Signal), id: "er-early-declared", occurredAt: "2001-01-01T00:00:00Z" },
    ] as Signal[];
    await send(t, late);
    for (const s of late) {
      const status = await settled(s.id);
      expect(status).toMatchObject({ status: "failed", tasks: [], failure: { reason: "erased" } });
    }
    expect(await t.running.gw.redis.exists(workerKeys.record(subjectId))).toBe(0);

    // Replaying the old failed signal changes nothing: it is refused as erased.
    const replayedSignal = await ops<{ id: string }>(t, "POST", "/v1/ops/replays", {
      body: { ids: ["signals:platform-a|er-lost"] },
    });
    expect(replayedSignal.status).toBe(202);
    await waitFor(
      async () => {
        const s = await statusOf(lost.id);
        return s.failure?.reason === "erased" ? s : undefined;
      },
      { description: "the replayed signal to be refused" },
    );
    expect(await t.running.gw.queue("signals").getFailedCount()).toBe(0);
    expect(await t.running.gw.redis.exists(workerKeys.record(subjectId))).toBe(0);

    // Replaying the failed deliveries sends the tasks without personal data.
    archive.reply = () => ({ status: 204 });
    const sentBefore = archive.requests.length;
    const started = await ops<{ id: string }>(t, "POST", "/v1/ops/replays", {
      body: { filter: { endpoint: "street-a-archive" } },
    });
    expect(started.status).toBe(202);
    await waitFor(
      async () => {
        const r = await ops<Replay>(t, "GET", `/v1/ops/replays/${started.body.id}`);
        return r.body.status === "completed" ? r.body : undefined;
      },
      { description: "the replay to finish" },
    );
    await waitFor(() => archive.requests.length >= sentBefore + 2, { description: "both replayed" });
    const replayed = archive.requests.slice(sentBefore);
    expect(replayed).toHaveLength(2);
    for (const request of replayed) {
      for (const s of personalStrings(p)) expect(request.body).not.toContain(s);
      expect(JSON.parse(request.body).data.task.erasedAt).toBeDefined();
    }
    const finalDump = keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p));
    expect([...finalDump.entries()]).toEqual([]);

    // Audited: who and how much, no personal data.
    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?action=worker.erase", {
      key: testKeys.viewer,
    });
    expect(audit.body.items.map((e) => [e.operator, e.role, e.outcome, e.target])).toEqual([
      ["platform-a", "platform", "completed", erasure.id],
      ["platform-a", "platform", "accepted", erasure.id],
    ]);
    expect(audit.body.items[0]?.count).toBeGreaterThan(5);
    const auditText = JSON.stringify(audit.body);
    for (const s of [...personalStrings(p), subjectId]) expect(auditText).not.toContain(s);
  });

  it("is idempotent, answers the same for a worker it never knew, and shows an erasure only to its platform", async () => {
    const p = person("idem");
    await send(t, lifeOf(p, "idem", region, "st_erase_2").slice(0, 1));
    await settled("idem-declared");
    const first = await erase(p.workerId);
    const again = await erase(p.workerId);
    expect(again.id).toBe(first.id);
    expect(again.requestedAt).toBe(first.requestedAt);
    await completed(first.id);
    expect(await erase(p.workerId)).toMatchObject({ id: first.id, status: "completed" });

    const unknown = await erase("w_never_seen_4411");
    expect(Object.keys(unknown).sort()).toEqual(Object.keys(first).sort());
    const finished = await completed(unknown.id);
    expect(Object.keys(finished).sort()).toEqual(Object.keys(await completed(first.id)).sort());

    const other = await t.call("GET", `/v1/erasures/${first.id}`, { key: testKeys.otherPlatform });
    expect(other.status).toBe(404);
    const asOrg = await t.call("DELETE", `/v1/workers/${p.workerId}`, { key: testKeys.streetA });
    expect(asOrg.status).toBe(403);
    const bad = await t.call("DELETE", "/v1/workers/has%20space", { key: testKeys.platform });
    expect(bad.status).toBe(422);
    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?action=worker.erase", {
      key: testKeys.viewer,
    });
    expect(audit.body.items.filter((e) => e.target === first.id).map((e) => e.outcome)).toEqual([
      "completed",
      "accepted",
    ]);
  });

  it("erases correctly while the worker's signals are being processed: no record comes back", async () => {
    const p = person("race");
    const subjectId = subjectOf(p);
    const signals: Signal[] = [];
    for (let i = 0; i < 60; i++) {
      const [declared, appeal, activity] = lifeOf(p, `race-${i}`, region, "st_erase_3") as Signal[];
      signals.push(
        i % 3 === 0 ? (declared as Signal) : i % 3 === 1 ? (appeal as Signal) : (activity as Signal),
      );
    }
    await send(t, signals);
    // Erase as soon as the first of them has been processed, while the rest are in flight or waiting.
    await waitFor(
      async () => {
        for (const s of signals.slice(0, 3)) if ((await statusOf(s.id)).status !== "queued") return true;
        return false;
      },
      { description: "processing to start" },
    );
    const erasure = await erase(p.workerId);
    await completed(erasure.id);
    const statuses = await Promise.all(signals.map((s) => settled(s.id)));
    for (const s of statuses) {
      expect(["processed", "failed"]).toContain(s?.status);
      if (s?.status === "failed") expect(s.failure?.reason).toBe("erased");
    }
    await waitFor(
      async () => {
        const counts = await t.running.gw.queue("signals").getJobCounts("waiting", "active", "delayed");
        return Object.values(counts).every((n) => n === 0);
      },
      { description: "the signals queue to drain" },
    );
    expect(await t.running.gw.redis.exists(workerKeys.record(subjectId))).toBe(0);
    const after = keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p));
    expect([...after.entries()]).toEqual([]);
    for (const job of await allJobs()) for (const s of personalStrings(p)) expect(job).not.toContain(s);
  });
});
