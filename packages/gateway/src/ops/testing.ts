import { type Signal, signalExamples } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { queues } from "../core/keys.js";
import type { SignalJob } from "../ingest/intake.js";
import { type GatewayUnderTest, type TestGateway, testKeys } from "../test-support/gateway.js";

/**
 * Test help for the console without the processing stage: signals go in
 * through the real API, and a stand-in consumer of the `signals` queue fails
 * them with the reason `decide` gives (or completes them when it gives none),
 * counting every run of every job.
 */
export interface StandInProcessor {
  /** Runs per job id. */
  runs: Map<string, number>;
  decide: (job: Job<SignalJob>) => string | undefined;
  close(): Promise<void>;
}

export function startStandInProcessor(
  t: TestGateway,
  decide: (job: Job<SignalJob>) => string | undefined,
): StandInProcessor {
  const connection = new Redis(t.redis.url, { maxRetriesPerRequest: null });
  const runs = new Map<string, number>();
  const processor: StandInProcessor = {
    runs,
    decide,
    close: async () => {
      await worker.close();
      connection.disconnect();
    },
  };
  const worker = new Worker<SignalJob>(
    queues.signals.name,
    async (job) => {
      runs.set(job.id as string, (runs.get(job.id as string) ?? 0) + 1);
      const reason = processor.decide(job);
      if (reason) throw new UnrecoverableError(reason);
    },
    { connection, prefix: queues.signals.prefix, concurrency: 8 },
  );
  worker.on("error", () => {});
  return processor;
}

/** A valid `appeal.raised` signal in a region. */
export function appeal(id: string, regionCode: string): Signal {
  const example = signalExamples["appeal.raised"] as Signal & { data: { regionCode: string } };
  return { ...example, id, data: { ...example.data, regionCode } } as Signal;
}

/** A valid `worker.onboarded` signal in a region. */
export function onboarded(id: string, regionCode: string): Signal {
  const example = signalExamples["worker.onboarded"] as Signal & { data: { regionCode: string } };
  return { ...example, id, data: { ...example.data, regionCode } } as Signal;
}

/** Sends signals as a platform through the API. */
export async function send(
  t: GatewayUnderTest,
  signals: Signal[],
  key: string = testKeys.platform,
): Promise<void> {
  const response = await t.call("POST", "/v1/signals/batch", { key, body: { signals } });
  if (response.status !== 202)
    throw new Error(`intake answered ${response.status}: ${await response.text()}`);
}

export async function waitForFailed(
  t: GatewayUnderTest,
  queue: "signals" | "deliveries",
  count: number,
): Promise<void> {
  await waitFor(async () => (await t.running.gw.queue(queue).getFailedCount()) === count, {
    description: `${count} failed jobs in ${queue}`,
  });
}

/** GET/POST against the ops API as JSON. */
export async function ops<T = unknown>(
  t: GatewayUnderTest,
  method: string,
  path: string,
  options: { key?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const response = await t.call(method, path, { key: options.key ?? testKeys.operator, body: options.body });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}
