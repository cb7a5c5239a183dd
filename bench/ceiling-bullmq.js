// @ts-check
// The BullMQ ceiling on the same Redis: bulk-add N jobs shaped like the
// gateway's signal jobs (same data and options), then process them with a
// no-op Worker. Prints one JSON line: add rate and no-op processing rate.
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { appealJson } from "./lib/signals.js";

const redisUrl = process.env.REDIS_URL;
if (!redisUrl) throw new Error("set REDIS_URL");
const total = Number(process.env.BENCH_JOBS ?? 20_000);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 50);
const chunk = 100;
const inFlight = 8;
const prefix = "{bench}";
const name = "noop";

const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const queue = new Queue(name, { connection, prefix });
await queue.waitUntilReady();
const opts = {
  attempts: 8,
  backoff: { type: "exponential", delay: 1000 },
  removeOnComplete: { age: 3600, count: 10_000 },
  removeOnFail: false,
};
const receivedAt = Date.now();
const occurredAt = new Date().toISOString();

// Add: `inFlight` addBulk calls of `chunk` jobs at a time, as the gateway's intake does per batch request.
let next = 0;
const addStart = performance.now();
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < total) {
      const from = next;
      next += chunk;
      const jobs = [];
      for (let i = from; i < Math.min(from + chunk, total); i++) {
        const signal = JSON.parse(appealJson(`c-${i}`, i, occurredAt));
        jobs.push({
          name: signal.type,
          data: { platformId: "bench", signal, receivedAt },
          opts: { ...opts, jobId: `bench|c-${i}` },
        });
      }
      await queue.addBulk(jobs);
    }
  }),
);
const addSeconds = (performance.now() - addStart) / 1000;

// Process: a no-op Worker; the clock runs from its start until the last completion.
let done = 0;
/** @type {() => void} */
let finish = () => {};
const finished = new Promise((/** @type {(value?: void) => void} */ resolve) => {
  finish = resolve;
});
const workerConnection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const processStart = performance.now();
const cpuStart = process.cpuUsage();
const worker = new Worker(name, async () => {}, { connection: workerConnection, prefix, concurrency });
worker.on("completed", () => {
  done += 1;
  if (done === total) finish();
});
const timeout = setTimeout(() => finish(), Number(process.env.BENCH_TIMEOUT_MS ?? 60_000));
await finished;
clearTimeout(timeout);
const processSeconds = (performance.now() - processStart) / 1000;
const cpu = process.cpuUsage(cpuStart);
await worker.close();
await queue.close();
connection.disconnect();
workerConnection.disconnect();
console.log(
  JSON.stringify({
    jobs: total,
    processed: done,
    concurrency,
    addPerSecond: total / addSeconds,
    processPerSecond: done / processSeconds,
    processCpuMicrosPerJob: (cpu.user + cpu.system) / done,
  }),
);
process.exit(0);
