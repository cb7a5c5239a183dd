// A platform process that batches signals through a spool, for crash tests: run it with
// `node --import tsx packages/sdk/src/testing/spool-child.ts`, SIGKILL it mid-flush, and
// run it again on the same directory with COUNT=0 to re-send what was left.
//
// Environment:
//   GIGBRIDGE_BASE_URL, GIGBRIDGE_API_KEY  the gateway (or a stand-in) and a platform key
//   SPOOL_DIR        the spool directory, shared between the runs
//   COUNT            signals to enqueue (default 0: only re-send leftovers)
//   ID_PREFIX        signal ids are `${ID_PREFIX}-${i}` (default "crash")
//   FLUSH_AT, MAX_BATCH_SIZE   batching (defaults 100 and 100)
//   SIGNAL_TYPE      "worker.offboarded" (default) or "activity.completed"
//
// Every line on stdout is one JSON object: {event: "enqueued" | "flush" | "error" | "closed", ...}.
import { GigBridge } from "../client.js";

function env(name: string, fallback?: string): string {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
}

function say(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);
}

const count = Number(env("COUNT", "0"));
const prefix = env("ID_PREFIX", "crash");
const type = env("SIGNAL_TYPE", "worker.offboarded");

const client = new GigBridge({
  apiKey: env("GIGBRIDGE_API_KEY"),
  baseUrl: env("GIGBRIDGE_BASE_URL"),
  spool: { dir: env("SPOOL_DIR") },
  flushAt: Number(env("FLUSH_AT", "100")),
  maxBatchSize: Number(env("MAX_BATCH_SIZE", "100")),
  flushIntervalMs: 50,
  timeoutMs: 30_000,
  retry: { maxAttempts: 10, baseDelayMs: 50, maxDelayMs: 1_000 },
});
client.on("flush", (event) => say("flush", { ...event }));
client.on("error", (error) =>
  say("error", { name: error.name, message: error.message, status: error.status }),
);

// From here on each `enqueue` has its signal on disk when it returns.
await client.ready();

for (let i = 0; i < count; i++) {
  const id = `${prefix}-${i}`;
  const workerId = `w_${prefix}_${i}`;
  // The promise is also reported through `flush`/`error`; the outcome is what the receiver saw.
  void client.enqueue(
    type === "activity.completed"
      ? { id, type, data: { workerId, kind: "volunteer", hours: 1, activityId: `act_${prefix}` } }
      : { id, type: "worker.offboarded", data: { workerId, reason: "resigned" } },
  );
}
// Every enqueue has returned, so every signal is on disk.
say("enqueued", { count });

await client.close({ timeoutMs: 60_000 });
say("closed");
