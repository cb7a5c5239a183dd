import { type Job, Worker } from "bullmq";
import type { Gateway } from "../core/context.js";
import { queues } from "../core/keys.js";
import { recoveryOptions, type WorkerHandle, workerHandle } from "../core/worker-handle.js";
import type { ErasureCounts } from "./erase.js";
import { type ErasureJob, runErasure } from "./erasures.js";

export type ErasureWorker = WorkerHandle<Worker<ErasureJob, ErasureCounts>>;

/** Consumes `erasures`. Every step is idempotent, so a retry after a crash runs the erasure again from the start. */
export function startErasureWorker(gw: Gateway, options: { concurrency?: number } = {}): ErasureWorker {
  const { name, prefix } = queues.erasures;
  const connection = gw.workerConnection(`gigbridge:worker:${name}`);
  const worker = new Worker<ErasureJob, ErasureCounts>(
    name,
    (job: Job<ErasureJob, ErasureCounts>) => runErasure(gw, job.data),
    { connection, prefix, ...recoveryOptions(gw.config), concurrency: options.concurrency ?? 4 },
  );
  worker.on("error", (error) => gw.quietLog.error("erasure worker", error));
  worker.on("failed", (job, error) =>
    gw.logger.warn({ erasureId: job?.data.erasureId, err: error }, "erasure attempt failed; retried"),
  );
  return workerHandle(name, worker, connection);
}
