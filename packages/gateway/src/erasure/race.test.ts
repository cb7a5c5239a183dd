import { randomBytes } from "node:crypto";
import type { Signal } from "@gigbridge/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../core/context.js";
import { subjectIdOf } from "../core/master-key.js";
import { enqueueEvent } from "../delivery/outbox.js";
import { Receiver } from "../delivery/testing.js";
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
    const result = await commitDecision(gw.redis, subjectId, "cas-1", 0, decision, 60_000);
    expect(result).toEqual({ outcome: "erased" });
    expect(await gw.redis.exists(workerKeys.record(subjectId), workerKeys.decision(subjectId, "cas-1"))).toBe(
      0,
    );
  });
});
