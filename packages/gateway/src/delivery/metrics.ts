import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { Gateway } from "../core/context.js";
import { readHealthBoard } from "./health.js";

export interface DeliveryMetrics {
  attempts: Counter<"outcome" | "status_class">;
  latency: Histogram<"outcome">;
  disabled: Counter<"reason">;
  endpoints: Gauge<"health">;
  longestFailing: Gauge;
}

const byRegistry = new WeakMap<Registry, DeliveryMetrics>();

/** Delivery's Prometheus metrics, registered once on the gateway's registry. */
export function deliveryMetrics(gw: Gateway): DeliveryMetrics {
  const registry = gw.metrics.registry;
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    metrics = {
      attempts: new Counter({
        name: "gigbridge_delivery_attempts_total",
        help: "Webhook delivery attempts by outcome (success, retry, disable, fail) and status class (2xx..5xx, none)",
        labelNames: ["outcome", "status_class"] as const,
        registers: [registry],
      }),
      latency: new Histogram({
        name: "gigbridge_delivery_attempt_duration_seconds",
        help: "Webhook delivery attempt latency by outcome",
        labelNames: ["outcome"] as const,
        buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30],
        registers: [registry],
      }),
      disabled: new Counter({
        name: "gigbridge_delivery_endpoints_disabled_total",
        help: "Endpoints disabled by the gateway, by reason (gone: answered 410; failing: failed for delivery.disableAfter)",
        labelNames: ["reason"] as const,
        registers: [registry],
      }),
      endpoints: new Gauge({
        name: "gigbridge_delivery_endpoints",
        help: "Endpoints across all orgs that are failing (no success since a failure) or disabled; read from Redis at scrape time",
        labelNames: ["health"] as const,
        registers: [registry],
      }),
      longestFailing: new Gauge({
        name: "gigbridge_delivery_endpoint_failing_seconds",
        help: "How long the endpoint that has been failing longest has failed (0 when none fails)",
        registers: [registry],
      }),
    };
    // Born at 0 so that `increase()` sees the first disabled endpoint.
    for (const reason of ["gone", "failing"]) metrics.disabled.inc({ reason }, 0);
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Reads the cross-org endpoint health board into the gauges (at scrape time). */
export async function refreshEndpointHealth(gw: Gateway): Promise<void> {
  const metrics = deliveryMetrics(gw);
  try {
    const board = await readHealthBoard(gw);
    metrics.endpoints.set({ health: "failing" }, board.failing);
    metrics.endpoints.set({ health: "disabled" }, board.disabled);
    metrics.longestFailing.set(board.longestFailingSeconds);
  } catch {
    // Redis away: keep the last known values.
  }
}
