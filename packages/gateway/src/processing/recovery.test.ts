import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { gatewayConfigSchema } from "@gigbridge/schemas";
import { RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys, queues } from "../core/keys.js";
import { appeal } from "../ops/testing.js";
import {
  type GatewayUnderTest,
  startGatewayOn,
  startTestGateway,
  type TestGateway,
  testConfig,
  testKeys,
} from "../test-support/gateway.js";

const root = resolve(import.meta.dirname, "../../../..");
const recovery = gatewayConfigSchema.parse(testConfig()).recovery;

/** A `work` process as BullMQ sees it: it takes a signal job with the gateway's lock settings and never finishes it. */
const holderScript = `
import { Worker } from "bullmq";
import { Redis } from "ioredis";
const connection = new Redis(process.env.REDIS_URL, { maxRetriesPerRequest: null });
new Worker("${queues.signals.name}", async (job) => {
  console.log("holding " + job.id);
  await new Promise(() => {});
}, { connection, prefix: "${queues.signals.prefix}", lockDuration: ${recovery.lockDuration}, stalledInterval: ${recovery.stalledInterval} });
`;

describe("recovery after a crash", () => {
  let redis: RedisServer;
  let api: TestGateway;
  let worker: GatewayUnderTest | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start();
    api = await startTestGateway({ workers: false, redis });
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await redis?.destroy();
  });

  it("processes a signal held by a killed worker process within 10 s, once", async () => {
    const holder = spawn(process.execPath, ["--input-type=module", "-e", holderScript], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redis.url },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    holder.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const signal = appeal("held-1", "110105001");
    expect((await api.call("POST", "/v1/signals", { key: testKeys.platform, body: signal })).status).toBe(
      202,
    );
    await waitFor(() => output.includes("holding"), {
      timeoutMs: 10_000,
      description: "the holder took the job",
    });
    holder.kill("SIGKILL");
    const killedAt = performance.now();

    worker = await startGatewayOn(redis.url, { workers: true });
    await waitFor(
      async () => {
        const res = await api.call("GET", "/v1/signals/held-1", { key: testKeys.platform });
        return ((await res.json()) as { status: string }).status === "processed";
      },
      { timeoutMs: 10_000, intervalMs: 50, description: "the held signal processed" },
    );
    const ms = performance.now() - killedAt;
    console.log(`signal held by a killed worker processed ${Math.round(ms)} ms after the kill`);
    expect(ms).toBeLessThan(10_000);
    const tasks = (await (await api.call("GET", "/v1/tasks", { key: testKeys.streetA })).json()) as {
      items: { signalId: string }[];
    };
    expect(tasks.items.filter((task) => task.signalId === "held-1")).toHaveLength(1);
  });

  it("takes over a pending claim of a request whose process died, after recovery.pendingClaim", async () => {
    const client = redis.client();
    const now = Date.now();
    const claim = (id: string, ageMs: number) =>
      client.hset(keys.signal("platform-a", id), {
        status: "pending",
        type: "appeal.raised",
        receivedAt: now - ageMs,
        claimedAt: now - ageMs,
      });
    await claim("orphan-1", recovery.pendingClaim + 1_000);
    await claim("in-flight-1", 0);
    client.disconnect();

    const orphan = await api.call("POST", "/v1/signals", {
      key: testKeys.platform,
      body: appeal("orphan-1", "110105001"),
    });
    expect(orphan.status).toBe(202);
    expect(((await orphan.json()) as { accepted: string[] }).accepted).toEqual(["orphan-1"]);
    // A claim younger than that may belong to a request still storing it: not taken over.
    const young = await api.call("POST", "/v1/signals", {
      key: testKeys.platform,
      body: appeal("in-flight-1", "110105001"),
    });
    expect(young.status).toBe(503);
  });
});
