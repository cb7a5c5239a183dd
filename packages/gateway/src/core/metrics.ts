import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The gateway's Prometheus metrics. One registry per gateway instance so tests
 * that start several gateways in one process do not share counters. Stages
 * register their own metrics on `registry`, named `gigbridge_<stage>_...`.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: "gigbridge_http_requests_total",
    help: "HTTP requests by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: "gigbridge_http_request_duration_seconds",
    help: "HTTP request latency by route and method",
    labelNames: ["route", "method"] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  readonly signals = new Counter({
    name: "gigbridge_signals_total",
    help: "Signals by platform, type and outcome (accepted, duplicate, refused)",
    labelNames: ["platform", "type", "outcome"] as const,
    registers: [this.registry],
  });

  readonly failures = new Counter({
    name: "gigbridge_failures_total",
    help: "Work that failed, by queue and reason",
    labelNames: ["queue", "reason"] as const,
    registers: [this.registry],
  });

  readonly replays = new Counter({
    name: "gigbridge_replays_total",
    help: "Operator replays by queue and outcome",
    labelNames: ["queue", "outcome"] as const,
    registers: [this.registry],
  });

  /** Queue depth by queue and state; filled by a collect callback set at start-up. */
  readonly queueDepth = new Gauge({
    name: "gigbridge_queue_depth",
    help: "Jobs per queue and state",
    labelNames: ["queue", "state"] as const,
    registers: [this.registry],
  });
}
