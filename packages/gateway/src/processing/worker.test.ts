import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../core/keys.js";
import { signalJobId } from "../ingest/intake.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";

describe("the signal worker", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => t?.close());

  it("marks a signal failed once its job lands in the failed set, so the platform sees it", async () => {
    const now = Date.now();
    await t.running.gw.redis.hset(
      keys.signal("platform-a", "broken-1"),
      "status",
      "queued",
      "type",
      "worker.onboarded",
      "receivedAt",
      now,
    );
    // A job whose signal cannot be processed (its data is missing) and has no retries left.
    await t.running.gw
      .queue("signals")
      .add(
        "worker.onboarded",
        { platformId: "platform-a", signal: { id: "broken-1", type: "worker.onboarded" }, receivedAt: now },
        { jobId: signalJobId("platform-a", "broken-1"), attempts: 1, removeOnFail: false },
      );
    const status = await waitFor(
      async () => {
        const body = (await (
          await t.call("GET", "/v1/signals/broken-1", { key: testKeys.platform })
        ).json()) as {
          status: string;
          failure?: { reason: string };
        };
        return body.status === "failed" ? body : undefined;
      },
      { description: "the signal to read as failed" },
    );
    expect(status.failure?.reason).toBe("processing_error");
    const metrics = await (await t.call("GET", "/metrics")).text();
    expect(metrics).toMatch(/gigbridge_failures_total\{queue="signals",reason="processing_error"\} 1/);
  });
});
