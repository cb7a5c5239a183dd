import { randomBytes } from "node:crypto";
import { deliveryTimeoutBounds } from "@gigbridge/schemas";
import { RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint } from "./endpoints.js";
import { deliveryLockMs, LOCK_MARGIN_MS } from "./lock.js";
import { enqueueEvent } from "./outbox.js";
import { Receiver, startTestGateway, testConfig } from "./testing.js";
import { type DeliveryWorkerOptions, startDeliveryWorker } from "./worker.js";

// The receiver answers after this long; the attempt timeout is longer, so the one attempt succeeds.
const ANSWER_AFTER_MS = 1_200;
const TIMEOUT_MS = 2_000;

describe("delivery lock", () => {
  let redis: RedisServer;
  let db = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => redis?.destroy());

  it("outlasts the longest attempt the configuration allows", () => {
    for (const timeout of [deliveryTimeoutBounds.min, 15_000, deliveryTimeoutBounds.max]) {
      expect(deliveryLockMs(timeout)).toBe(timeout + LOCK_MARGIN_MS);
    }
    // BullMQ's default lock (30 s) is shorter than the longest timeout; the derived one is not.
    expect(deliveryLockMs(deliveryTimeoutBounds.max)).toBeGreaterThan(deliveryTimeoutBounds.max + 10_000);
  });

  it("is the lock the delivery worker takes", async () => {
    const config = testConfig({ delivery: { timeout: deliveryTimeoutBounds.max } });
    const { gw } = await startTestGateway(`${redis.url}/${++db}`, config);
    const worker = startDeliveryWorker(gw);
    cleanups.push(async () => {
      await worker.close();
      await gw.close();
    });
    expect(worker.worker.opts.lockDuration).toBe(deliveryLockMs(deliveryTimeoutBounds.max));
  });

  /**
   * Two gateway processes' delivery workers on one Redis, neither renewing its locks (an event
   * loop stalled past every renewal), both checking often for stalled jobs. One message goes to a
   * receiver that answers after ANSWER_AFTER_MS (or never, with `hang`: then the attempt timeout
   * is long, so the first copy is still waiting however slowly a second comes). Returns the
   * receiver, a gateway and the message id.
   */
  async function slowDelivery(lock: DeliveryWorkerOptions["lock"], { hang = false } = {}) {
    const url = `${redis.url}/${++db}`;
    const timeout = hang ? deliveryTimeoutBounds.max : TIMEOUT_MS;
    const config = testConfig({ retry: { schedule: [0, 50] }, delivery: { timeout } });
    const masterKey = randomBytes(32);
    const first = await startTestGateway(url, config, masterKey);
    const second = await startTestGateway(url, config, masterKey);
    const options = { lock: { skipLockRenewal: true, stalledInterval: 100, ...lock } };
    const workers = [startDeliveryWorker(first.gw, options), startDeliveryWorker(second.gw, options)];
    cleanups.push(async () => {
      for (const worker of workers) await worker.close();
      await first.gw.close();
      await second.gw.close();
    });
    const receiver = await Receiver.start();
    cleanups.push(() => receiver.close());
    receiver.reply = () =>
      hang ? "hang" : new Promise((resolve) => setTimeout(() => resolve({ status: 204 }), ANSWER_AFTER_MS));

    await createEndpoint(first.gw, "org-a", { url: receiver.url });
    const { messageIds } = await enqueueEvent(first.gw, {
      eventId: "evt-slow",
      orgId: "org-a",
      type: "endpoint.ping",
      data: { endpointId: "x", message: "slow" },
    });
    return { receiver, gw: first.gw, msgId: messageIds[0]! };
  }

  it("keeps one attempt in flight per message when the receiver answers after a short lock would have expired", async () => {
    const { receiver, gw, msgId } = await slowDelivery({});
    await waitFor(async () => (await gw.queue("deliveries").getJob(msgId))?.finishedOn !== undefined, {
      description: "the slow delivery to finish",
    });
    const job = await gw.queue("deliveries").getJob(msgId);
    expect([await job?.getState(), job?.failedReason]).toEqual(["completed", undefined]);
    expect(receiver.maxInFlight).toBe(1);
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([msgId]);
  });

  it("control: with a lock shorter than the receiver's answer, a second worker sends the same message while the first waits", async () => {
    // What the test above guards against: proves this setup sees a duplicate in flight when there is one.
    const { receiver, msgId } = await slowDelivery({ lockDuration: 300 }, { hang: true });
    await waitFor(() => receiver.inFlight === 2, {
      description: "a second copy in flight",
      timeoutMs: 20_000,
    });
    expect(receiver.requests.map((r) => r.headers["webhook-id"])).toEqual([msgId, msgId]);
  });
});
