import { Counter, Histogram, type Registry } from "prom-client";
import type { Gateway } from "../core/context.js";

export interface DeliveryMetrics {
  attempts: Counter<"outcome" | "status_class">;
  latency: Histogram<"outcome">;
  disabled: Counter<"reason">;
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
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
