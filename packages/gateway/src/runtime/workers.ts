import type { Gateway } from "../core/context.js";
import { startDeliveryWorker } from "../delivery/worker.js";
import { startErasureWorker } from "../erasure/worker.js";
import type { Readiness } from "../http/health.js";
import { startReplayWorker } from "../ops/replays.js";
import { startSignalWorker } from "../processing/worker.js";
import { startOverdueWorker } from "../tasks/overdue.js";

/** A background consumer the runtime starts, reports on and stops. */
export interface BackgroundWorker extends Readiness {
  close(): Promise<void>;
  forceClose(): void;
}

/**
 * Starts every queue consumer of the pipeline in this process, in the order
 * data flows: processing (signals to tasks), overdue checks, delivery,
 * operators' bulk replays, and platforms' erasures.
 */
export async function startWorkers(gw: Gateway): Promise<BackgroundWorker[]> {
  return [
    startSignalWorker(gw),
    startOverdueWorker(gw),
    startDeliveryWorker(gw),
    startReplayWorker(gw),
    startErasureWorker(gw),
  ];
}
