import { randomBytes } from "node:crypto";
import type { Signal } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../core/context.js";
import { keys } from "../core/keys.js";
import { subjectIdOf } from "../core/master-key.js";
import { listMessageAttempts } from "../delivery/attempts.js";
import { enqueueEvent } from "../delivery/outbox.js";
import { Receiver } from "../delivery/testing.js";
import { startDeliveryWorker } from "../delivery/worker.js";
import { signalJobId } from "../ingest/intake.js";
import { send } from "../ops/testing.js";
import { stationKeys, workerKeys } from "../processing/keys.js";
import { processSignal } from "../processing/process.js";
import { commitDecision, loadRecord } from "../processing/records.js";
import { emptyDecision } from "../rules/decision.js";
import type { EmitEvent } from "../tasks/events.js";
import { getTask } from "../tasks/store.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { requestErasure, runErasure } from "./erasures.js";
import { dumpRedis, keysHolding, lifeOf, person, personalStrings } from "./testing.js";

/**
 * Erasure against signals in flight, with the interleaving forced: the erasure runs in the middle
 * of a signal's processing, after its commit and before its tasks, points, station change and
 * events are written. Whatever the signal writes afterwards must not survive, and no later
 * signal, whatever its `occurredAt`, may write the record again.
 */
describe("erasure while a signal is being processed", () => {
  let t: TestGateway;
  let gw: Gateway;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await Receiver.start();
    t = await startTestGateway({
      workers: false,
      config: {
        endpoints: [
          {
            id: "street-a-hook",
            org: "street-a",
            url: receiver.url,
            secret: `whsec_${randomBytes(32).toString("base64")}`,
          },
        ],
      },
    });
    gw = t.running.gw;
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  /** Emits to the outbox, but erases the worker just before the first event of the signal goes out. */
  function erasingOnFirstEvent(workerId: string): EmitEvent {
    let erased = false;
    return async (event) => {
      if (!erased) {
        erased = true;
        const erasure = await requestErasure(gw, "platform-a", workerId);
        await runErasure(gw, {
          erasureId: erasure.id,
          platformId: "platform-a",
          subjectId: subjectIdOf(gw.masterKey, "platform-a", workerId),
        });
      }
      return enqueueEvent(gw, event);
    };
  }

  it("a signal that committed before the erasure leaves nothing of the worker behind", async () => {
    const p = person("flight");
    const subjectId = subjectIdOf(gw.masterKey, "platform-a", p.workerId);
    const [declared, appeal] = lifeOf(p, "fl", "110105001", "st_flight") as [Signal, Signal];

    const first = await processSignal(
      gw,
      { platformId: "platform-a", signal: declared, receivedAt: Date.now() },
      { emit: erasingOnFirstEvent(p.workerId) },
    );
    expect(first.refused).toBe("erased");
    // The task the signal created before the erasure is kept, without the worker's fields.
    const task = await getTask(gw.redis, `${(await gw.redis.smembers(`gb:{w:${subjectId}}:idx:tasks`))[0]}`);
    expect(task?.task.erasedAt).toBeDefined();
    expect(task?.task.details).not.toHaveProperty("contact");
    // What it wrote after the erasure (station membership, the queued webhook) is gone too.
    expect(await gw.redis.sismember(stationKeys.members("platform-a", "st_flight"), subjectId)).toBe(0);
    expect(await gw.redis.exists(workerKeys.record(subjectId))).toBe(0);

    // Later signals, newer or older than anything seen, are refused and write nothing.
    for (const signal of [
      { ...appeal, occurredAt: "2099-01-01T00:00:00Z" },
      { ...declared, id: "fl-old", occurredAt: "2001-01-01T00:00:00Z" },
    ] as Signal[]) {
      const result = await processSignal(gw, { platformId: "platform-a", signal, receivedAt: Date.now() });
      expect(result).toEqual({ subjectId, tasks: [], refused: "erased" });
      const status = await gw.redis.hgetall(`gb:{p:platform-a}:signal:${signal.id}`);
      expect(status).toMatchObject({ status: "failed", failureReason: "erased" });
    }
    expect(await loadRecord(gw.redis, subjectId)).toEqual({ record: null, version: 0 });
    const left = keysHolding(await dumpRedis(gw.redis), personalStrings(p));
    expect([...left.entries()]).toEqual([]);
  });

  it("finds signals still waiting in the queue, erases their data, and they are refused when their turn comes", async () => {
    const p = person("wait");
    const subjectId = subjectIdOf(gw.masterKey, "platform-a", p.workerId);
    const life = lifeOf(p, "wt", "110105001", "st_wait");
    await send(t, life);
    // No queue workers run here: the signals wait, indexed under the platform by subject.
    const waiting = await gw.redis.zrangebylex(keys.queued("platform-a"), `[${subjectId} `, `(${subjectId}!`);
    expect(waiting.sort()).toEqual(life.map((s) => `${subjectId} ${s.id}`).sort());
    expect(keysHolding(await dumpRedis(gw.redis), personalStrings(p)).size).toBe(life.length);

    const erasure = await requestErasure(gw, "platform-a", p.workerId);
    await runErasure(gw, { erasureId: erasure.id, platformId: "platform-a", subjectId });
    expect([...keysHolding(await dumpRedis(gw.redis), personalStrings(p)).entries()]).toEqual([]);

    // Their turn comes: each is refused as erased, and leaves the platform's index of waiting signals.
    for (const signal of life) {
      const job = await gw.queue("signals").getJob(signalJobId("platform-a", signal.id));
      expect(job?.data).toMatchObject({
        erased: { subjectId },
        signal: { id: signal.id, type: signal.type },
      });
      const result = await processSignal(gw, job?.data);
      expect(result).toEqual({ subjectId, tasks: [], refused: "erased" });
    }
    expect(await loadRecord(gw.redis, subjectId)).toEqual({ record: null, version: 0 });
  });

  it("moves a signal from the platform's index of waiting signals to the worker's when processing starts", async () => {
    const p = person("move");
    const subjectId = subjectIdOf(gw.masterKey, "platform-a", p.workerId);
    const [declared] = lifeOf(p, "mv", "110105001", "st_move") as [Signal];
    await send(t, [declared]);
    expect(await gw.redis.zscore(keys.queued("platform-a"), `${subjectId} mv-declared`)).toBe("0");
    const job = await gw.queue("signals").getJob(signalJobId("platform-a", "mv-declared"));
    expect((await processSignal(gw, job?.data)).refused).toBeUndefined();
    expect(await gw.redis.zscore(keys.queued("platform-a"), `${subjectId} mv-declared`)).toBeNull();
    expect(await gw.redis.sismember(`gb:{w:${subjectId}}:idx:signals`, "platform-a|mv-declared")).toBe(1);
  });

  it("a webhook in flight during the erasure logs no echo of the body it carried", async () => {
    const p = person("echo");
    const subjectId = subjectIdOf(gw.masterKey, "platform-a", p.workerId);
    const [declared] = lifeOf(p, "ec", "110105001", "st_echo") as [Signal];
    await processSignal(gw, { platformId: "platform-a", signal: declared, receivedAt: Date.now() });
    // The receiver holds the request until the erasure has run, then refuses it, echoing the body.
    let answer: (() => void) | undefined;
    let msgId = "";
    receiver.reply = (request) => {
      if (answer) return { status: 204 }; // `worker.erased`, after the erasure
      msgId = request.headers["webhook-id"] as string;
      return new Promise((resolve) => {
        answer = () => resolve({ status: 500, body: request.body.slice(0, 900) });
      });
    };
    const deliveries = startDeliveryWorker(gw);
    try {
      await waitFor(() => answer !== undefined, { description: "the webhook to be in flight" });
      const erasure = await requestErasure(gw, "platform-a", p.workerId);
      await runErasure(gw, { erasureId: erasure.id, platformId: "platform-a", subjectId });
      answer?.();
      const log = await waitFor(
        async () => {
          const entries = await listMessageAttempts(gw, "street-a", msgId);
          return entries.length > 0 ? entries : undefined;
        },
        { description: "the attempt to be logged" },
      );
      expect(log[0]).toMatchObject({ status: 500, response: "[erased]" });
      expect([...keysHolding(await dumpRedis(gw.redis), personalStrings(p)).entries()]).toEqual([]);
    } finally {
      await deliveries.close();
      receiver.reply = () => ({ status: 204 });
    }
  });

  it("the record's compare-and-set refuses to write once the tombstone is set", async () => {
    const p = person("cas");
    const subjectId = subjectIdOf(gw.masterKey, "platform-a", p.workerId);
    await requestErasure(gw, "platform-a", p.workerId);
    const decision = {
      ...emptyDecision(),
      record: {
        subjectId,
        platformId: "platform-a",
        regionCode: "110105001",
        orgId: "street-a",
        active: true,
        updatedAt: "2099-01-01T00:00:00Z",
      },
    };
    const result = await commitDecision(
      gw.redis,
      subjectId,
      "cas-1",
      0,
      decision,
      { decisionMs: 60_000, offboardedRecordMs: 0 },
      "",
    );
    expect(result).toEqual({ outcome: "erased" });
    expect(await gw.redis.exists(workerKeys.record(subjectId), workerKeys.decision(subjectId, "cas-1"))).toBe(
      0,
    );
  });
});
