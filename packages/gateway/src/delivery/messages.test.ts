import { RedisServer, waitFor } from "@gigbridge/testkit";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint } from "./endpoints.js";
import { MessageNotFoundError } from "./errors.js";
import { enableEndpoint } from "./health.js";
import { getMessage, listFailedMessages, replayFailedMessages, replayMessage } from "./messages.js";
import { enqueueEvent, messageId } from "./outbox.js";
import { Receiver, startTestGateway, testConfig } from "./testing.js";
import { startDeliveryWorker } from "./worker.js";

describe("failed messages and replay", () => {
  let redis: RedisServer;
  let target: Receiver;
  let harness: Awaited<ReturnType<typeof startTestGateway>>;
  let worker: ReturnType<typeof startDeliveryWorker>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    target = await Receiver.start();
    harness = await startTestGateway(redis.url, testConfig({ retry: { schedule: [0, 20], jitter: 0 } }));
    worker = startDeliveryWorker(harness.gw);
  });
  afterAll(async () => {
    await worker?.close();
    await harness?.gw.close();
    await target?.close();
    await redis?.destroy();
  });

  const state = async (id: string) => (await getMessage(harness.gw, id)).state;

  it("keeps an undeliverable message as failed and replays it under the same webhook-id", async () => {
    const { gw } = harness;
    target.reply = () => ({ status: 500 });
    const { endpoint, secret } = await createEndpoint(gw, "org-a", { url: target.url });
    const ping = { endpointId: endpoint.id, message: "replay me" };
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "r-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: ping,
    });
    const id = messageIds[0]!;
    await waitFor(async () => (await state(id)) === "failed", { description: "message failed" });

    const failed = await listFailedMessages(gw, { endpointId: endpoint.id });
    expect(failed).toMatchObject([
      { id, state: "failed", failedReason: "retries_exhausted", attemptsMade: 2, orgId: "org-a" },
    ]);
    expect(await listFailedMessages(gw, { orgId: "org-b" })).toEqual([]);
    expect(await listFailedMessages(gw, { reason: "endpoint_disabled" })).toEqual([]);
    const detail = await getMessage(gw, id);
    expect(detail.data).toEqual(ping);
    expect(detail.attempts.map((a) => a.attempt)).toEqual([1, 2]);

    target.reply = () => ({ status: 200 });
    const before = target.requests.length;
    expect(await replayMessage(gw, id)).toEqual({ id, replayed: true, state: "queued" });
    await waitFor(async () => (await state(id)) === "delivered", {
      description: "replayed message delivered",
    });
    const request = target.requests[before]!;
    expect(request.headers["webhook-id"]).toBe(id);
    expect(new Webhook(secret).verify(request.body, request.headers as Record<string, string>)).toMatchObject(
      { data: ping },
    );
    expect(target.requests.length).toBe(before + 1);
    expect(await listFailedMessages(gw, { endpointId: endpoint.id })).toEqual([]);
  });

  it("does not queue a message twice when it is replayed while already queued", async () => {
    const { gw } = harness;
    const gate: (() => void)[] = [];
    target.reply = () => new Promise((resolve) => gate.push(() => resolve({ status: 200 })));
    await createEndpoint(gw, "org-b", { url: target.url });
    const { messageIds } = await enqueueEvent(gw, {
      eventId: "r-2",
      orgId: "org-b",
      type: "endpoint.ping",
      data: { endpointId: "x", message: "busy" },
    });
    const id = messageIds[0]!;
    await waitFor(() => gate.length === 1, { description: "delivery in flight" });
    expect(await replayMessage(gw, id)).toEqual({ id, replayed: false, state: "sending" });
    gate.shift()!();
    await waitFor(async () => (await state(id)) === "delivered", { description: "delivered" });
    expect(target.requests.filter((r) => r.headers["webhook-id"] === id)).toHaveLength(1);
  });

  it("recovers every message that failed while an endpoint was disabled, once it is enabled", async () => {
    const { gw } = harness;
    target.reply = () => ({ status: 410 });
    const { endpoint } = await createEndpoint(gw, "org-a", { url: target.url, events: ["endpoint.ping"] });
    // org-a's endpoint from the first test gets this event too; follow the new endpoint's message.
    await enqueueEvent(gw, {
      eventId: "d-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: { endpointId: endpoint.id, message: "1" },
    });
    const id = messageId("d-1", endpoint.id);
    await waitFor(async () => (await state(id)) === "failed", { description: "410 failed the message" });
    expect((await getMessage(gw, id)).failedReason).toBe("endpoint_disabled");

    target.reply = () => ({ status: 200 });
    await enableEndpoint(gw, "org-a", endpoint.id);
    const results = await replayFailedMessages(gw, { endpointId: endpoint.id, reason: "endpoint_disabled" });
    expect(results).toEqual([{ id, replayed: true, state: "queued" }]);
    await waitFor(async () => (await state(id)) === "delivered", { description: "recovered" });
  });

  it("says clearly when a message does not exist", async () => {
    await expect(getMessage(harness.gw, "msg_nope")).rejects.toThrow(MessageNotFoundError);
    await expect(replayMessage(harness.gw, "msg_nope")).rejects.toThrow(MessageNotFoundError);
  });
});
