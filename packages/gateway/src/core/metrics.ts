import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/** Failure reasons per queue, as `gigbridge_failures_total` labels them. */
const knownFailures: Record<string, readonly string[]> = {
  signals: ["no_route", "processing_error"],
  overdue: ["error"],
  deliveries: ["retries_exhausted", "endpoint_disabled", "endpoint_deleted", "network_refused"],
  replays: ["error"],
};

/**
 * The gateway's Prometheus metrics. One registry per gateway instance so tests
 * that start several gateways in one process do not share counters. Stages
 * register their own metrics on `registry`, named `gigbridge_<stage>_...`.
 */
export class Metrics {
  readonly registry = new Registry();

  constructor() {
    // process_resident_memory_bytes, nodejs_heap_size_used_bytes, event loop lag, GC: what the memory alert reads.
    collectDefaultMetrics({ register: this.registry });
    // Known failure and replay series start at 0: `increase()` sees the first failure only if the
    // series existed before it (a series born at 1 has no increase).
    for (const [queue, reasons] of Object.entries(knownFailures))
      for (const reason of reasons) this.failures.inc({ queue, reason }, 0);
    for (const queue of ["signals", "deliveries"])
      for (const outcome of ["replayed", "not_failed", "error"]) this.replays.inc({ queue, outcome }, 0);
  }

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
    help: "Signals by platform, type and outcome (accepted, duplicate, refused: invalid, rate_limited)",
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

  /** Age of each queue's oldest waiting job: a backlog's age says more than its depth. Set at scrape time. */
  readonly queueOldestWaiting = new Gauge({
    name: "gigbridge_queue_oldest_waiting_seconds",
    help: "Seconds the oldest job waiting in the queue has waited (0 when none waits)",
    labelNames: ["queue"] as const,
    registers: [this.registry],
  });

  /** 1 while Redis answers PING within a second; set at scrape time. */
  readonly redisUp = new Gauge({
    name: "gigbridge_redis_up",
    help: "1 when Redis (every slot's master, on a cluster) answered PING within 1 s at the last scrape",
    registers: [this.registry],
  });

  /** What /readyz answers, as 1 (ready) or 0; set at scrape time. */
  readonly ready = new Gauge({
    name: "gigbridge_ready",
    help: "1 when /readyz would answer 200 (Redis up and every started worker running)",
    registers: [this.registry],
  });

  readonly memoryLimit = new Gauge({
    name: "gigbridge_memory_limit_bytes",
    help: "Memory this process may use: the cgroup (container) limit, else the machine's memory",
    registers: [this.registry],
    collect() {
      const constrained = process.constrainedMemory?.() ?? 0;
      // Without a cgroup limit Node reports 0 or a huge number (2^63); the machine's memory is the limit then.
      const limit = constrained > 0 && constrained < totalmem() ? constrained : totalmem();
      this.set(limit);
    },
  });

  readonly heapLimit = new Gauge({
    name: "gigbridge_heap_limit_bytes",
    help: "V8's heap size limit for this process (--max-old-space-size)",
    registers: [this.registry],
    collect() {
      this.set(getHeapStatistics().heap_size_limit);
    },
  });
}
