import { type Job, Worker } from "bullmq";
import type { Gateway } from "../core/context.js";
import { queues } from "../core/keys.js";
import { recoveryOptions, type WorkerHandle, workerHandle } from "../core/worker-handle.js";
import type { SignalJob } from "../ingest/intake.js";
import type { EmitEvent } from "../tasks/events.js";
import { markSignalFailed, NoRouteError, type ProcessResult, processSignal } from "./process.js";

export type SignalWorker = WorkerHandle<Worker<SignalJob, ProcessResult>>;

export interface SignalWorkerOptions {
  /** Signals this process works on at once. Default 32. */
  concurrency?: number;
  emit?: EmitEvent;
}

/**
 * Consumes `signals`. A `no_route` fails the job at once with `failedReason` `no_route` and keeps
 * it (ingest adds jobs with `removeOnFail: false`) for an operator to replay after adding an org;
 * anything else (Redis away, say) is retried with the backoff ingest set.
 */
export function startSignalWorker(gw: Gateway, options: SignalWorkerOptions = {}): SignalWorker {
  const { name, prefix } = queues.signals;
  const connection = gw.workerConnection(`gigbridge:worker:${name}`);
  const worker = new Worker<SignalJob, ProcessResult>(
    name,
    (job: Job<SignalJob, ProcessResult>) =>
      processSignal(gw, job.data, options.emit ? { emit: options.emit } : {}),
    { connection, prefix, ...recoveryOptions(gw.config), concurrency: options.concurrency ?? 32 },
  );
  worker.on("error", (error) => gw.quietLog.error("signal worker", error));
  worker.on("failed", (job, error) => {
    if (!job || error instanceof NoRouteError) return;
    // Only a job that landed in the failed set is final: retries go back to waiting, while
    // BullMQ also fails a job for stalling too often whatever attempts it had left.
    job
      .getState()
      .then((state) => {
        if (state !== "failed") return;
        gw.metrics.failures.inc({ queue: name, reason: "processing_error" });
        const { platformId, signal } = job.data;
        gw.logger.error(
          { platformId, signalId: signal.id, err: error },
          "signal processing failed; kept for replay",
        );
        return markSignalFailed(
          gw,
          platformId,
          signal.id,
          "processing kept failing; an operator can replay it",
        );
      })
      .catch((failure: unknown) => gw.logger.warn({ err: failure }, "could not mark a failed signal"));
  });
  return workerHandle(name, worker, connection);
}
