import { RedisServer, waitFor } from "@gigbridge/testkit";
import { type Job, Queue, UnrecoverableError, Worker, type WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onFinalFailure } from "./worker-handle.js";

let redis: RedisServer;
const closers: Array<() => Promise<unknown>> = [];
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await redis?.destroy();
});

function connection(): Redis {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  closers.push(async () => client.disconnect());
  return client;
}

/** A queue and a worker on it, with every final failure the helper reports collected. */
function harness(
  name: string,
  processor: (job: Job) => Promise<unknown>,
  options: Partial<WorkerOptions> = {},
) {
  const queue = new Queue(name, { connection: connection(), prefix: "{t}" });
  const worker = new Worker(name, processor, { connection: connection(), prefix: "{t}", ...options });
  closers.push(
    () => queue.close(),
    () => worker.close(true),
  );
  const finals: string[] = [];
  onFinalFailure(
    worker,
    (job, error) => finals.push(`${job.id}: ${error.message}`),
    (e) => {
      throw e;
    },
  );
  return { queue, worker, finals };
}

describe("onFinalFailure", () => {
  it("reports a job only once its attempts are spent, never a retry", async () => {
    const tries = new Map<string, number>();
    const { queue, worker, finals } = harness("retries", async (job) => {
      const n = (tries.get(job.id as string) ?? 0) + 1;
      tries.set(job.id as string, n);
      if (job.id === "always" || n === 1) throw new Error(`try ${n}`);
    });
    const done = new Set<string>();
    worker.on("completed", (job) => done.add(job.id as string));
    await queue.add("x", {}, { jobId: "once", attempts: 2 });
    await queue.add("x", {}, { jobId: "always", attempts: 2 });
    await waitFor(() => done.has("once") && finals.length === 1, { timeoutMs: 10_000 });
    expect(finals).toEqual(["always: try 2"]);
  });

  it("reports a job that failed with attempts left: unrecoverable, or stalled too often", async () => {
    const { queue, finals } = harness("unrecoverable", async () => {
      throw new UnrecoverableError("gave up");
    });
    await queue.add("x", {}, { jobId: "u", attempts: 5 });
    await waitFor(() => finals.length === 1, { timeoutMs: 10_000 });
    expect(finals).toEqual(["u: gave up"]);

    // A job whose lock lapses while it runs has stalled; with no stall allowed, BullMQ fails it at
    // once, attempts or not. That is what a killed process leaves behind.
    const stalled = harness("stalled", () => new Promise(() => {}), {
      lockDuration: 200,
      stalledInterval: 100,
      maxStalledCount: 0,
      autorun: false,
    });
    await stalled.queue.add("x", {}, { jobId: "s", attempts: 5 });
    // Take the job and let its lock run out, as a process killed mid-job would.
    const taker = new Worker("stalled", null, { connection: connection(), prefix: "{t}", lockDuration: 200 });
    closers.push(() => taker.close(true));
    const job = await taker.getNextJob("dead-process");
    expect(job?.id).toBe("s");
    void stalled.worker.run();
    await waitFor(() => stalled.finals.length === 1, { timeoutMs: 10_000 });
    expect(stalled.finals[0]).toMatch(/^s: .*stalled/);
    expect(job?.attemptsMade ?? 0).toBeLessThan(5);
  });
});
