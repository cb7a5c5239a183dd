import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../core/context.js";
import { listEndpointAttempts, listMessageAttempts } from "./attempts.js";
import { createEndpoint, rotateSecret } from "./endpoints.js";
import { disableEndpoint, readHealth } from "./health.js";
import { deliveryKeys } from "./keys.js";
import { enqueueEvent, messageId } from "./outbox.js";
import { Receiver, startTestGateway, testConfig } from "./testing.js";
import { startDeliveryWorker } from "./worker.js";

const ping = (n: number) => ({ endpointId: "x", message: `ping ${n}` });

describe("delivery worker", () => {
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

  /** A gateway on a fresh Redis database with a running delivery worker. */
  async function setup(overrides: Parameters<typeof testConfig>[0] = {}) {
    const harness = await startTestGateway(`${redis.url}/${++db}`, testConfig(overrides));
    const disabledEvents: unknown[] = [];
    const worker = startDeliveryWorker(harness.gw, {
      onEndpointDisabled: (event) => disabledEvents.push(event),
    });
    cleanups.push(async () => {
      await worker.close();
      await harness.gw.close();
    });
    return { ...harness, worker, disabledEvents };
  }

  async function receiver(port?: number) {
    const started = await Receiver.start(port);
    cleanups.push(() => started.close());
    return started;
  }

  async function jobState(gw: Gateway, msgId: string) {
    return (await gw.queue("deliveries").getJob(msgId))?.getState();
  }

  /** A message's state, why it failed, and its attempts, as operators see them. */
  async function getMessage(gw: Gateway, msgId: string, orgId = "org-a") {
    const job = await gw.queue("deliveries").getJob(msgId);
    if (!job) throw new Error(`no message ${msgId}`);
    const [state, attempts] = await Promise.all([job.getState(), listMessageAttempts(gw, orgId, msgId)]);
    return { state, failedReason: job.failedReason, attempts };
  }

  function verifier(...secrets: string[]) {
    return (request: { body: string; headers: Record<string, unknown> }) =>
      secrets.map((secret) =>
        new Webhook(secret).verify(request.body, request.headers as Record<string, string>),
      );
  }

  it("delivers a Standard Webhooks message every standardwebhooks receiver verifies, before and after a rotation", async () => {
    const { gw } = await setup({ delivery: { rotationOverlap: 60_000 } });
    const target = await receiver();
    const { endpoint, secret: first } = await createEndpoint(gw, "org-a", { url: target.url });

    const sent = await enqueueEvent(gw, {
      eventId: "evt-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });
    expect(sent.messageIds).toEqual([messageId("evt-1", endpoint.id)]);
    await waitFor(() => target.requests.length === 1, { description: "first delivery" });
    const [delivered] = target.requests;
    expect(delivered!.headers["webhook-id"]).toBe(sent.messageIds[0]);
    const payload = verifier(first)(delivered!)[0] as { type: string; timestamp: string; data: unknown };
    expect(payload.type).toBe("endpoint.ping");
    expect(payload.data).toEqual(ping(1));
    expect(Number.isNaN(Date.parse(payload.timestamp))).toBe(false);

    const { secret: second } = await rotateSecret(gw, "org-a", endpoint.id);
    expect(second).not.toBe(first);
    await enqueueEvent(gw, { eventId: "evt-2", orgId: "org-a", type: "endpoint.ping", data: ping(2) });
    await waitFor(() => target.requests.length === 2, { description: "delivery after rotation" });
    const afterRotation = target.requests[1]!;
    expect(String(afterRotation.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    // A receiver still on the old secret and one already on the new secret both verify during the overlap.
    expect(verifier(first, second)(afterRotation)).toHaveLength(2);
  });

  it("stops signing with the old secret once the rotation overlap has passed", async () => {
    let offset = 0;
    const { gw } = await setup({ delivery: { rotationOverlap: 1_000 } });
    (gw as { now: () => number }).now = () => Date.now() + offset;
    const target = await receiver();
    const { endpoint, secret: old } = await createEndpoint(gw, "org-a", { url: target.url });
    const { secret: fresh } = await rotateSecret(gw, "org-a", endpoint.id);
    offset = 2_000;
    await enqueueEvent(gw, { eventId: "evt-late", orgId: "org-a", type: "endpoint.ping", data: ping(3) });
    await waitFor(() => target.requests.length === 1, { description: "delivery after the overlap" });
    const request = target.requests[0]!;
    expect(String(request.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(() => verifier(fresh)(request)).not.toThrow();
    expect(() => verifier(old)(request)).toThrow(/No matching signature/);
  });

  it("sends each message exactly once to a receiver that was down for several attempts and came back", async () => {
    const { gw } = await setup({
      retry: { schedule: [0, 50, 100, 200, 400, 800, 1_600, 3_200], jitter: 0.1 },
    });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hooks`;
    const { endpoint, secret } = await createEndpoint(gw, "org-a", { url });

    const eventIds = ["e1", "e2", "e3", "e4", "e5"];
    for (const [n, eventId] of eventIds.entries()) {
      await enqueueEvent(gw, { eventId, orgId: "org-a", type: "endpoint.ping", data: ping(n) });
    }
    const ids = eventIds.map((eventId) => messageId(eventId, endpoint.id));
    // Nothing listens: wait until every message has failed at least twice.
    await waitFor(
      async () => {
        const logs = await Promise.all(ids.map((id) => listMessageAttempts(gw, "org-a", id)));
        return logs.every(
          (log) =>
            log.length >= 2 && log.every((a) => a.outcome === "retry" && /ECONNREFUSED/.test(a.error ?? "")),
        );
      },
      { description: "two refused attempts per message" },
    );
    // Producers retrying meanwhile add nothing.
    for (const [n, eventId] of eventIds.entries()) {
      await enqueueEvent(gw, { eventId, orgId: "org-a", type: "endpoint.ping", data: ping(n) });
    }

    const back = await receiver(port);
    await waitFor(
      async () => (await Promise.all(ids.map((id) => jobState(gw, id)))).every((s) => s === "completed"),
      {
        description: "every message delivered",
        timeoutMs: 20_000,
      },
    );
    const received = back.requests.map((r) => String(r.headers["webhook-id"]));
    expect([...received].sort()).toEqual([...ids].sort());
    for (const request of back.requests) expect(() => verifier(secret)(request)).not.toThrow();
    const message = await getMessage(gw, ids[0]!);
    expect(message.state).toBe("completed");
    expect(message.attempts.length).toBeGreaterThanOrEqual(3);
    expect(message.attempts.at(-1)).toMatchObject({ outcome: "success", status: 204 });
    expect((await readHealth(gw, "org-a", [endpoint.id])).get(endpoint.id)?.failingSince).toBeUndefined();
  });

  it("disables an endpoint that answers 410, fails its message, and parks new events for replay", async () => {
    const { gw, logs, disabledEvents } = await setup();
    const target = await receiver();
    target.reply = () => ({ status: 410 });
    const { endpoint } = await createEndpoint(gw, "org-a", { url: target.url });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "gone-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });

    await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "failed", {
      description: "message failed",
    });
    const message = await getMessage(gw, messageIds[0]!);
    expect(message.failedReason).toBe("endpoint_disabled");
    expect(message.attempts).toHaveLength(1);
    expect(target.requests).toHaveLength(1);
    const health = (await readHealth(gw, "org-a", [endpoint.id])).get(endpoint.id);
    expect(health).toMatchObject({ disabled: true, disabledReason: "gone" });
    expect(disabledEvents).toMatchObject([{ orgId: "org-a", endpointId: endpoint.id, reason: "gone" }]);
    expect(
      logs.lines.some(
        (line) => line.msg?.toString().startsWith("endpoint disabled") && line.endpointId === endpoint.id,
      ),
    ).toBe(true);
    const later = await enqueueEvent(gw, {
      eventId: "gone-2",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(2),
    });
    await waitFor(async () => (await jobState(gw, later.messageIds[0]!)) === "failed", {
      description: "the later message parked as failed",
    });
    expect((await getMessage(gw, later.messageIds[0]!)).failedReason).toBe("endpoint_disabled");
    expect(target.requests).toHaveLength(1);
  });

  it("waits at least as long as Retry-After on 429", async () => {
    const { gw } = await setup({ retry: { schedule: [0, 50, 100], jitter: 0 } });
    const target = await receiver();
    let calls = 0;
    target.reply = () => (calls++ === 0 ? { status: 429, headers: { "retry-after": "1" } } : { status: 200 });
    await createEndpoint(gw, "org-a", { url: target.url });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "slow-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });

    await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "completed", {
      description: "delivered after 429",
    });
    expect(target.requests).toHaveLength(2);
    const [first, second] = target.requests;
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    // The schedule alone would have retried after 50 ms.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_000);
  });

  it("cuts a receiver that never answers at the timeout and fails the message when the schedule is exhausted", async () => {
    const { gw } = await setup({ retry: { schedule: [0, 50], jitter: 0 }, delivery: { timeout: 300 } });
    const target = await receiver();
    target.reply = () => "hang";
    await createEndpoint(gw, "org-a", { url: target.url });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "hang-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });

    await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "failed", {
      description: "message failed",
    });
    const message = await getMessage(gw, messageIds[0]!);
    expect(message.failedReason).toBe("retries_exhausted");
    expect(message.attempts).toHaveLength(2);
    for (const attempt of message.attempts) {
      expect(attempt).toMatchObject({ outcome: "retry", error: "timeout after 300 ms" });
      expect(attempt.status).toBeUndefined();
      expect(attempt.latencyMs).toBeGreaterThanOrEqual(290);
      expect(attempt.latencyMs).toBeLessThan(2_000);
    }
    expect(target.requests).toHaveLength(2);
  });

  it("refuses at delivery time a loopback endpoint when loopback is not allowed", async () => {
    const target = await receiver();
    const { gw } = await setup({
      delivery: { allowNetworks: ["private"] },
      endpoints: [
        {
          id: "ep-local",
          org: "org-a",
          url: target.url,
          secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
        },
      ],
    });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "ssrf-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });
    await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "failed", {
      description: "message refused",
    });
    const message = await getMessage(gw, messageIds[0]!);
    expect(message.failedReason).toBe("network_refused");
    expect(message.attempts).toMatchObject([{ outcome: "fail" }]);
    expect(message.attempts[0]!.error).toMatch(/loopback/);
    expect(target.requests).toHaveLength(0);
  });

  it("disables and announces an endpoint refused at delivery time for delivery.disableAfter", async () => {
    let offset = 0;
    const { gw, disabledEvents } = await setup({
      delivery: { allowNetworks: ["private"], disableAfter: 60_000 },
      endpoints: [
        {
          id: "ep-local",
          org: "org-a",
          url: (await receiver()).url,
          secret: `whsec_${Buffer.alloc(32, 7).toString("base64")}`,
        },
      ],
    });
    (gw as { now: () => number }).now = () => Date.now() + offset;
    const refuse = async (eventId: string) => {
      const { messageIds } = await enqueueEvent(gw, {
        eventId,
        orgId: "org-a",
        type: "endpoint.ping",
        data: ping(1),
      });
      await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "failed", {
        description: `${eventId} refused`,
      });
      return getMessage(gw, messageIds[0]!);
    };

    await refuse("refused-1");
    expect((await readHealth(gw, "org-a", ["ep-local"])).get("ep-local")).toMatchObject({ disabled: false });
    expect(disabledEvents).toHaveLength(0);

    offset = 60_000;
    const second = await refuse("refused-2");
    expect(second.failedReason).toBe("network_refused");
    expect((await readHealth(gw, "org-a", ["ep-local"])).get("ep-local")).toMatchObject({
      disabled: true,
      disabledReason: "failing",
    });
    expect(disabledEvents).toMatchObject([{ orgId: "org-a", endpointId: "ep-local", reason: "failing" }]);
    expect(await gw.metrics.registry.metrics()).toMatch(
      /gigbridge_delivery_endpoints_disabled_total\{reason="failing"\} 1/,
    );
  });

  it("disables an endpoint that has failed continuously for delivery.disableAfter", async () => {
    const { gw, disabledEvents } = await setup({
      retry: { schedule: [0, 100, 100, 100, 100, 100, 100, 100, 100, 100], jitter: 0 },
      delivery: { disableAfter: 250 },
    });
    const target = await receiver();
    target.reply = () => ({ status: 500, body: "down for maintenance" });
    const { endpoint } = await createEndpoint(gw, "org-a", { url: target.url });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "fail-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });

    await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "failed", {
      description: "message failed",
    });
    const message = await getMessage(gw, messageIds[0]!);
    expect(message.failedReason).toBe("endpoint_disabled");
    expect(message.attempts.length).toBeGreaterThanOrEqual(3);
    expect(message.attempts.length).toBeLessThan(10);
    expect(message.attempts[0]!.response).toBe("down for maintenance");
    const health = (await readHealth(gw, "org-a", [endpoint.id])).get(endpoint.id)!;
    expect(health).toMatchObject({ disabled: true, disabledReason: "failing" });
    expect(Date.parse(health.disabledAt!) - Date.parse(health.failingSince!)).toBeGreaterThanOrEqual(250);
    expect(disabledEvents).toHaveLength(1);
  });

  it("after each attempt frees the slot, logs the attempt, and a success ends the endpoint's run of failures", async () => {
    const { gw } = await setup({ retry: { schedule: [0, 50, 50, 50], jitter: 0 } });
    const target = await receiver();
    let calls = 0;
    target.reply = () => (++calls === 1 ? { status: 500, body: "not yet" } : { status: 200, body: "ok" });
    const { endpoint } = await createEndpoint(gw, "org-a", { url: target.url });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "settle-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });
    const msgId = messageIds[0]!;
    await waitFor(async () => (await jobState(gw, msgId)) === "completed", { description: "delivered" });
    const message = await getMessage(gw, msgId);
    expect(message.attempts.map((a) => [a.attempt, a.outcome, a.status, a.response])).toEqual([
      [1, "retry", 500, "not yet"],
      [2, "success", 200, "ok"],
    ]);
    expect(
      (await listEndpointAttempts(gw, "org-a", endpoint.id, { limit: 50 })).items.map((a) => [
        a.messageId,
        a.attempt,
      ]),
    ).toEqual([
      [msgId, 2],
      [msgId, 1],
    ]);
    const health = (await readHealth(gw, "org-a", [endpoint.id])).get(endpoint.id)!;
    expect(health.disabled).toBe(false);
    expect(health.failingSince).toBeUndefined();
    expect(health.lastFailureAt).toBeDefined();
    expect(Date.parse(health.lastSuccessAt!)).toBeGreaterThanOrEqual(Date.parse(health.lastFailureAt!));
    expect(await gw.redis.zcard(deliveryKeys.inflight("org-a", endpoint.id))).toBe(0);
  });

  it("sends nothing to a disabled endpoint and parks its message as endpoint_disabled", async () => {
    const { gw } = await setup();
    const target = await receiver();
    const { endpoint } = await createEndpoint(gw, "org-a", { url: target.url });
    await disableEndpoint(gw, "org-a", endpoint.id, "gone", Date.now());
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "parked-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });
    await waitFor(async () => (await jobState(gw, messageIds[0]!)) === "failed", { description: "parked" });
    const message = await getMessage(gw, messageIds[0]!);
    expect(message.failedReason).toBe("endpoint_disabled");
    expect(message.attempts).toEqual([]);
    expect(target.requests).toHaveLength(0);
    expect(await gw.redis.zcard(deliveryKeys.inflight("org-a", endpoint.id))).toBe(0);
  });

  it("keeps at most delivery.concurrencyPerEndpoint deliveries in flight per endpoint", async () => {
    const { gw } = await setup({ delivery: { concurrencyPerEndpoint: 2 } });
    const target = await receiver();
    const gates: (() => void)[] = [];
    target.reply = () => new Promise((resolve) => gates.push(() => resolve({ status: 200 })));
    await createEndpoint(gw, "org-a", { url: target.url });
    for (let n = 0; n < 6; n++) {
      await enqueueEvent(gw, { eventId: `busy-${n}`, orgId: "org-a", type: "endpoint.ping", data: ping(n) });
    }
    await waitFor(() => target.inFlight === 2, { description: "two deliveries in flight" });
    // Release one at a time; each release lets exactly one more in.
    let delivered = 0;
    while (delivered < 6) {
      await waitFor(() => gates.length > 0, { description: "a waiting delivery" });
      gates.shift()!();
      delivered++;
    }
    await waitFor(async () => (await gw.queue("deliveries").getCompletedCount()) === 6, {
      description: "all six delivered",
    });
    expect(target.requests).toHaveLength(6);
    expect(target.maxInFlight).toBe(2);
  });

  it("sends only the event types an endpoint subscribes to, only to its org, and only once per event", async () => {
    const { gw } = await setup();
    const a = await receiver();
    const b = await receiver();
    const { endpoint: onlyOverdue } = await createEndpoint(gw, "org-a", {
      url: a.url,
      events: ["task.overdue"],
    });
    const { endpoint: everything } = await createEndpoint(gw, "org-a", { url: b.url });
    await createEndpoint(gw, "org-b", { url: b.url });

    const first = await enqueueEvent(gw, {
      eventId: "evt-x",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });
    const again = await enqueueEvent(gw, {
      eventId: "evt-x",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping(1),
    });
    expect(first.messageIds).toEqual([messageId("evt-x", everything.id)]);
    expect(again.messageIds).toEqual(first.messageIds);
    await waitFor(async () => (await jobState(gw, first.messageIds[0]!)) === "completed", {
      description: "delivered",
    });
    expect(a.requests).toHaveLength(0);
    expect(b.requests).toHaveLength(1);
    expect(onlyOverdue.events).toEqual(["task.overdue"]);
  });
});
