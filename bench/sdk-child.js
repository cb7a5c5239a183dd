// @ts-check
// SDK figures, in a process of their own (run with --expose-gc) so the heap
// and CPU measured are the SDK's alone. Prints one JSON line.
//   node --expose-gc sdk-child.js local        CPU per enqueue and memory with 10,000 queued (no traffic)
//   node --expose-gc sdk-child.js e2e <url>    signals/s end to end through `enqueue` in batching mode
import { GigBridge } from "@gigbridge/sdk";
import { appealRequest } from "./lib/signals.js";

const [mode, baseUrl = ""] = process.argv.slice(2);
const apiKey = process.env.BENCH_API_KEY ?? "";
const gc = globalThis.gc;
if (!gc) throw new Error("run with --expose-gc");

if (mode === "local") {
  const cpuN = Number(process.env.BENCH_SDK_ENQUEUES ?? 50_000);
  const queuedN = 10_000;
  // Nothing is ever sent: flushAt and the interval are beyond the run; the URL is never dialled.
  const quiet = { apiKey: "gb_pk_bench_unused", baseUrl: "http://127.0.0.1:9", flushIntervalMs: 3_600_000 };

  // CPU per enqueue: validation, envelope (UUIDv7, timestamp) and queueing, after a warm-up.
  const warm = new GigBridge({ ...quiet, flushAt: 1_000_000, maxQueueSize: 1_000_000 });
  for (let i = 0; i < 5_000; i++) warm.enqueue(appealRequest(i));
  const client = new GigBridge({ ...quiet, flushAt: 1_000_000, maxQueueSize: 1_000_000 });
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < cpuN; i++) client.enqueue(appealRequest(i));
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;

  // Memory with 10,000 signals queued, measured on a fresh client after full GCs.
  gc();
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  const memClient = new GigBridge({ ...quiet, flushAt: 1_000_000, maxQueueSize: queuedN });
  for (let i = 0; i < queuedN; i++) memClient.enqueue(appealRequest(i));
  gc();
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  console.log(
    JSON.stringify({
      enqueues: cpuN,
      cpuMicrosPerEnqueue: (cpu.user + cpu.system) / cpuN,
      wallMicrosPerEnqueue: (wallMs * 1000) / cpuN,
      queued: memClient.queueSize,
      heapBytesQueued: heap1 - heap0,
    }),
  );
  process.exit(0);
}

if (mode === "e2e") {
  const total = Number(process.env.BENCH_SDK_SIGNALS ?? 30_000);
  const window = 5_000; // at most this many unsettled, below the default maxQueueSize of 10,000
  const client = new GigBridge({ apiKey, baseUrl, flushAt: 100 });
  let accepted = 0;
  let failed = 0;
  /** @type {string[]} */
  const firstError = [];
  /** @type {Promise<void>[]} */
  const pending = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < total; i++) {
    pending.push(
      client.enqueue(appealRequest(i)).then(
        (r) => {
          if (r.status === "accepted") accepted++;
          else failed++;
        },
        (error) => {
          failed++;
          if (firstError.length === 0) firstError.push(String(error?.message ?? error));
        },
      ),
    );
    if (pending.length >= window) await pending.shift();
  }
  await client.flush();
  await Promise.all(pending);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await client.close({ timeoutMs: 5_000 });
  console.log(
    JSON.stringify({
      signals: total,
      accepted,
      failed,
      firstError: firstError[0],
      seconds,
      perSecond: accepted / seconds,
      cpuMicrosPerSignal: (cpu.user + cpu.system) / total,
    }),
  );
  process.exit(0);
}

throw new Error(`unknown mode ${mode}`);
