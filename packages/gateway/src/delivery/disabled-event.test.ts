import { randomBytes } from "node:crypto";
import { fixtures } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
import { enqueueEvent } from "./outbox.js";
import { Receiver } from "./testing.js";

const secret = () => `whsec_${randomBytes(32).toString("base64")}`;

/** The runtime's delivery worker tells an organization when one of its endpoints is disabled. */
describe("endpoint.disabled", () => {
  let t: TestGateway;
  let gone: Receiver;
  let other: Receiver;
  beforeAll(async () => {
    gone = await Receiver.start();
    gone.reply = () => ({ status: 410 });
    other = await Receiver.start();
    t = await startTestGateway({
      config: {
        endpoints: [
          { id: "ep-gone", org: "street-a", url: gone.url, events: ["task.created"], secret: secret() },
          {
            id: "ep-other",
            org: "street-a",
            url: other.url,
            events: ["endpoint.disabled"],
            secret: secret(),
          },
        ],
        retry: { schedule: [0, 20], jitter: 0 },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await gone?.close();
    await other?.close();
  });

  it("is sent once to the organization's other endpoints when an endpoint answers 410", async () => {
    await enqueueEvent(t.running.gw, {
      eventId: "evt-410",
      orgId: "street-a",
      type: "task.created",
      data: { task: fixtures.tasks.valid.register_member },
    });
    const received = await waitFor(() => other.requests[0], { description: "the endpoint.disabled event" });
    expect(JSON.parse(received.body)).toMatchObject({
      type: "endpoint.disabled",
      data: { endpointId: "ep-gone", orgId: "street-a", reason: "gone" },
    });
    expect(gone.requests).toHaveLength(1);
    // A later event for the disabled endpoint is not attempted: it waits in the failed set for a replay.
    await enqueueEvent(t.running.gw, {
      eventId: "evt-2",
      orgId: "street-a",
      type: "task.created",
      data: { task: fixtures.tasks.valid.register_member },
    });
    const queue = t.running.gw.queue("deliveries");
    const parked = await waitFor(
      async () => (await queue.getFailed()).find((j) => j.data.eventId === "evt-2"),
      { description: "the missed message in the failed set" },
    );
    expect(parked.failedReason).toBe("endpoint_disabled");
    expect(gone.requests).toHaveLength(1);
    expect(other.requests).toHaveLength(1);
  });
});
