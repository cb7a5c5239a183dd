import type { GatewayConfig } from "@gigbridge/schemas";
import type { Job, Worker, WorkerOptions } from "bullmq";
import type { RedisClient } from "./redis.js";

/** Anything that runs in the background of a process (queue workers, the retention sweeper). */
export interface BackgroundWorker {
  readonly name: string;
  ready(): boolean;
  close(): Promise<void>;
  /** Stops at once: jobs in flight are left to the stalled-job check of another worker (after a deadline, or with Redis down). */
  forceClose(): void;
}

/** A started BullMQ worker as the runtime sees it: a name, readiness for /readyz, and one close. */
export interface WorkerHandle<W extends Worker = Worker> extends BackgroundWorker {
  readonly worker: W;
}

/** Wraps a worker and its own connection: ready while running and not closing; close is idempotent. */
export function workerHandle<W extends Worker>(
  name: string,
  worker: W,
  connection: RedisClient,
): WorkerHandle<W> {
  let closing: Promise<void> | undefined;
  return {
    name,
    worker,
    ready: () => closing === undefined && worker.isRunning(),
    close: () => {
      closing ??= worker.close().finally(() => connection.disconnect());
      return closing;
    },
    forceClose: () => {
      worker.close(true).catch(() => {});
      connection.disconnect();
    },
  };
}

/**
 * Lock and stall settings of every queue worker, from `recovery` in the
 * configuration. A job held by a process that died is taken over after
 * `lockDuration` + `stalledInterval` (7 s by default; BullMQ's own 30 s + 30 s
 * made signals wait a minute). Processing is idempotent, so a job a slow
 * worker still runs when its lock lapses does no harm twice.
 */
export function recoveryOptions(
  config: GatewayConfig,
): Pick<WorkerOptions, "lockDuration" | "stalledInterval" | "maxStalledCount"> {
  return {
    lockDuration: config.recovery.lockDuration,
    stalledInterval: config.recovery.stalledInterval,
    maxStalledCount: config.recovery.maxStalledCount,
  };
}

/**
 * Calls `handle` for a job that has landed in its queue's failed set, which is final: its
 * attempts are spent, or BullMQ failed it for stalling too often whatever attempts it had left.
 * A failed attempt that goes back to waiting or delayed is not final and is skipped. Comparing
 * `attemptsMade` with `attempts` misses the stalled case, which then looks like a job still running.
 */
export function onFinalFailure<D, R, N extends string>(
  worker: Worker<D, R, N>,
  handle: (job: Job<D, R, N>, error: Error) => unknown,
  warn: (error: unknown) => void,
): void {
  worker.on("failed", (job, error) => {
    if (!job) return;
    job
      .getState()
      .then((state) => (state === "failed" ? handle(job, error) : undefined))
      .catch(warn);
  });
}
