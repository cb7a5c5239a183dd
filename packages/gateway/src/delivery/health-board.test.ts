import { RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint, deleteEndpoint } from "./endpoints.js";
import { enableEndpoint, readHealthBoard } from "./health.js";
import { deliveryKeys } from "./keys.js";
import { enqueueEvent } from "./outbox.js";
import { Receiver, startTestGateway, testConfig } from "./testing.js";
import { startDeliveryWorker } from "./worker.js";

/**
 * The cross-org endpoint health board that `/metrics` reads (`gigbridge_delivery_endpoints`,
 * `gigbridge_delivery_endpoint_failing_seconds`) follows each endpoint's real state.
 */
describe("endpoint health board", () => {
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

  async function setup() {
    const harness = await startTestGateway(
      `${redis.url}/${++db}`,
      testConfig({ retry: { schedule: [0, 50, 50, 50, 50, 50, 50, 50], jitter: 0 } }),
    );
    const worker = startDeliveryWorker(harness.gw, { onEndpointDisabled: () => {} });
    const receiver = await Receiver.start();
    cleanups.push(async () => {
      await worker.close();
      await harness.gw.close();
      await receiver.close();
    });
    return { gw: harness.gw, receiver };
  }

  it("lists an endpoint as failing from its first failure until its next success", async () => {
    const { gw, receiver } = await setup();
    receiver.reply = () => ({ status: 500 });
    const { endpoint } = await createEndpoint(gw, "org-a", { url: receiver.url });
    expect(await readHealthBoard(gw)).toEqual({ failing: 0, disabled: 0, longestFailingSeconds: 0 });

    await enqueueEvent(gw, {
      eventId: "board-1",
      orgId: "org-a",
      type: "endpoint.ping",
      data: { endpointId: endpoint.id, message: "ping" },
    });
    await waitFor(async () => (await readHealthBoard(gw)).failing === 1, { description: "failing" });
    expect(await gw.redis.zrange(deliveryKeys.failingBoard, "0", "-1")).toEqual([`org-a/${endpoint.id}`]);

    receiver.reply = () => ({ status: 204 });
    await waitFor(async () => (await readHealthBoard(gw)).failing === 0, { description: "healthy again" });
  });

  it("lists a disabled endpoint until it is enabled, and forgets a deleted one", async () => {
    const { gw, receiver } = await setup();
    receiver.reply = () => ({ status: 410 });
    const { endpoint } = await createEndpoint(gw, "org-a", { url: receiver.url });
    await enqueueEvent(gw, {
      eventId: "board-2",
      orgId: "org-a",
      type: "endpoint.ping",
      data: { endpointId: endpoint.id, message: "ping" },
    });
    await waitFor(async () => (await readHealthBoard(gw)).disabled === 1, { description: "disabled" });
    expect((await readHealthBoard(gw)).failing).toBe(0);

    await enableEndpoint(gw, "org-a", endpoint.id);
    expect(await readHealthBoard(gw)).toMatchObject({ failing: 0, disabled: 0 });

    receiver.reply = () => ({ status: 500 });
    await enqueueEvent(gw, {
      eventId: "board-3",
      orgId: "org-a",
      type: "endpoint.ping",
      data: { endpointId: endpoint.id, message: "ping" },
    });
    await waitFor(async () => (await readHealthBoard(gw)).failing === 1, { description: "failing" });
    await deleteEndpoint(gw, "org-a", endpoint.id);
    expect(await readHealthBoard(gw)).toMatchObject({ failing: 0, disabled: 0 });
  });
});
