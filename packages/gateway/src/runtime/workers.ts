import type { Gateway } from "../core/context.js";
import { startDeliveryWorker } from "../delivery/worker.js";
import type { Readiness } from "../http/health.js";
import { startReplayWorker } from "../ops/replays.js";
import { startSignalWorker } from "../processing/worker.js";
import { startOverdueWorker } from "../tasks/overdue.js";
import { startRetentionSweeper } from "../tasks/retention.js";

/** A background consumer the runtime starts, reports on and stops. */
export interface BackgroundWorker extends Readiness {
  close(): Promise<void>;
}

/**
 * Starts every queue consumer of the pipeline in this process, in the order
 * data flows: processing (signals to tasks), overdue checks, delivery, and
 * operators' bulk replays; then the sweeper that removes finished tasks past retention.
 */
export async function startWorkers(gw: Gateway): Promise<BackgroundWorker[]> {
  return [
    startSignalWorker(gw),
    startOverdueWorker(gw),
    startDeliveryWorker(gw),
    startReplayWorker(gw),
    startRetentionSweeper(gw),
  ];
}
