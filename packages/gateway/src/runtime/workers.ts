import type { Gateway } from "../core/context.js";
import { startDeliveryWorker } from "../delivery/worker.js";
import type { Readiness } from "../http/health.js";

/** A background consumer the runtime starts, reports on and stops. */
export interface BackgroundWorker extends Readiness {
  close(): Promise<void>;
}

/**
 * Starts every queue consumer of the pipeline in this process, in the order
 * data flows: processing (signals to tasks), overdue checks, delivery.
 */
export async function startWorkers(gw: Gateway): Promise<BackgroundWorker[]> {
  return [startDeliveryWorker(gw)];
}
