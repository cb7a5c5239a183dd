import type { Worker } from "bullmq";
import type { RedisClient } from "./redis.js";

/** A started BullMQ worker as the runtime sees it: a name, readiness for /readyz, and one close. */
export interface WorkerHandle<W extends Worker = Worker> {
  readonly name: string;
  readonly worker: W;
  ready(): boolean;
  close(): Promise<void>;
  /** Stops at once: jobs in flight are left to the stalled-job check of another worker (after a deadline, or with Redis down). */
  forceClose(): void;
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
