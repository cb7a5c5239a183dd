import type { Gateway } from "../core/context.js";
import type { BackgroundWorker } from "../core/worker-handle.js";
import { startDeliveryWorker } from "../delivery/worker.js";
import { startErasureWorker } from "../erasure/worker.js";
import { startReplayWorker } from "../ops/replays.js";
import { startSignalWorker } from "../processing/worker.js";
import { startOverdueWorker } from "../tasks/overdue.js";
import { startRetentionSweeper } from "../tasks/retention.js";

export type { BackgroundWorker };

/**
 * Starts every queue consumer of the pipeline in this process, in the order
 * data flows: processing (signals to tasks), overdue checks, delivery,
 * operators' bulk replays and platforms' erasures; then the sweeper that removes finished tasks past
 * retention.
 */
export async function startWorkers(gw: Gateway): Promise<BackgroundWorker[]> {
  return [
    startSignalWorker(gw),
    startOverdueWorker(gw),
    startDeliveryWorker(gw),
    startReplayWorker(gw),
    startErasureWorker(gw),
    startRetentionSweeper(gw),
  ];
}
