import { Counter, Histogram } from "prom-client";
import type { Gateway } from "../core/context.js";

export interface ProcessingMetrics {
  processed: Counter<"type">;
  lag: Histogram;
}

const byGateway = new WeakMap<Gateway, ProcessingMetrics>();

/** Processing's metrics, registered once per gateway on its registry. */
export function processingMetrics(gw: Gateway): ProcessingMetrics {
  let metrics = byGateway.get(gw);
  if (!metrics) {
    const registers = [gw.metrics.registry];
    metrics = {
      processed: new Counter({
        name: "gigbridge_signals_processed_total",
        help: "Signals processed (rules run, tasks and events stored), by type",
        labelNames: ["type"] as const,
        registers,
      }),
      lag: new Histogram({
        name: "gigbridge_signal_processing_lag_seconds",
        help: "Time from a signal's acceptance to the end of its processing",
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
        registers,
      }),
    };
    byGateway.set(gw, metrics);
  }
  return metrics;
}
