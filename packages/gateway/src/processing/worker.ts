import { type Job, Worker } from "bullmq";
import type { Gateway } from "../core/context.js";
import { queues } from "../core/keys.js";
import { inSpan, SpanKind } from "../core/tracing.js";
import { onFinalFailure, recoveryOptions, type WorkerHandle, workerHandle } from "../core/worker-handle.js";
import { type ErasedSignalJob, erasedSignalJob, isErasedJob } from "../erasure/scrub.js";
import type { SignalJob } from "../ingest/intake.js";
import type { EmitEvent } from "../tasks/events.js";
import { processingMetrics } from "./metrics.js";
import { markSignalFailed, NoRouteError, type ProcessResult, processSignal } from "./process.js";

export type SignalWorker = WorkerHandle<Worker<SignalJob | ErasedSignalJob, ProcessResult>>;

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
  const metrics = processingMetrics(gw);
  const worker = new Worker<SignalJob | ErasedSignalJob, ProcessResult>(
    name,
    async (job: Job<SignalJob | ErasedSignalJob, ProcessResult>) => {
      const { platformId, signal } = job.data;
      const trace = isErasedJob(job.data) ? undefined : job.data.trace;
      const result = await inSpan(
        "gigbridge.process",
        {
          kind: SpanKind.CONSUMER,
          parent: trace,
          attributes: {
            "gigbridge.platform": platformId,
            "gigbridge.signal.id": signal.id,
            "gigbridge.signal.type": signal.type,
            "gigbridge.attempt": job.attemptsMade + 1,
          },
        },
        (span) =>
          processSignal(gw, job.data, {
            ...(options.emit ? { emit: options.emit } : {}),
            ...(span.context ? { trace: span.context } : {}),
          }),
      );
      // A refused signal's job keeps nothing of the worker either, so the platform's data is gone from the queue.
      if (result.refused === "erased" && result.subjectId !== null && !isErasedJob(job.data))
        await job.updateData(erasedSignalJob(job.data, result.subjectId));
      metrics.processed.inc({ type: job.data.signal.type });
      metrics.lag.observe(Math.max(0, gw.now() - job.data.receivedAt) / 1000);
      return result;
    },
    { connection, prefix, ...recoveryOptions(gw.config), concurrency: options.concurrency ?? 32 },
  );
  worker.on("error", (error) => gw.quietLog.error("signal worker", error));
  onFinalFailure(
    worker,
    (job, error) => {
      if (error instanceof NoRouteError) return;
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
    },
    (failure) => gw.logger.warn({ err: failure }, "could not mark a failed signal"),
  );
  return workerHandle(name, worker, connection);
}
