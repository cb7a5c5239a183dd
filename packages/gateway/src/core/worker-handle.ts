import type { Job, Worker } from "bullmq";
import type { RedisClient } from "./redis.js";

/** A started BullMQ worker as the runtime sees it: a name, readiness for /readyz, and one close. */
export interface WorkerHandle<W extends Worker = Worker> {
  readonly name: string;
  readonly worker: W;
  ready(): boolean;
  close(): Promise<void>;
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
