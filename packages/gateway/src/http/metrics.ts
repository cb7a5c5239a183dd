import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { type QueueKey, queues } from "../core/keys.js";
import type { AppEnv } from "./env.js";
import { type Readiness, readiness } from "./health.js";

/**
 * `GET /metrics` in Prometheus text format. What lives in Redis (queue depths and ages, readiness,
 * and whatever the stages read in `onScrape`, such as endpoint health) is read at scrape time, so
 * every process reports the same shared state and alerts take the max across processes. The
 * stages' own refreshers come in through `onScrape` (wired in runtime/), so http imports no stage.
 */
export function metricsRoutes(
  gw: Gateway,
  checks: () => Readiness[] = () => [],
  onScrape: () => Promise<void> = async () => {},
) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(metricsRoute, async (c) => {
    await Promise.all([refreshQueues(gw), refreshReadiness(gw, checks()), onScrape().catch(() => {})]);
    // The key spelled as c.text spells its default, so the registry's type replaces it.
    return c.text(await gw.metrics.registry.metrics(), 200, {
      "Content-Type": gw.metrics.registry.contentType,
    });
  });
  return app;
}

const metricsRoute = createRoute({
  method: "get",
  path: "/metrics",
  tags: ["Probes"],
  summary: "Prometheus metrics: requests, signals, tasks, deliveries, failures, queue depths and ages",
  responses: {
    200: {
      description: "Prometheus text exposition format",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

async function refreshReadiness(gw: Gateway, checks: Readiness[]): Promise<void> {
  const { ok, redis } = await readiness(gw, checks);
  gw.metrics.redisUp.set(redis ? 1 : 0);
  gw.metrics.ready.set(ok ? 1 : 0);
}

async function refreshQueues(gw: Gateway): Promise<void> {
  await Promise.all(
    (Object.keys(queues) as QueueKey[]).map(async (name) => {
      try {
        const queue = gw.queue(name);
        const [counts, oldest] = await Promise.all([
          queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized"),
          // Ascending: the job that has waited longest comes first.
          queue.getJobs(["waiting"], 0, 0, true),
        ]);
        for (const [state, count] of Object.entries(counts))
          gw.metrics.queueDepth.set({ queue: name, state }, count);
        const job = oldest[0];
        // A delayed job waits from when its delay ended, not from when it was added.
        const since = job ? job.timestamp + (job.delay ?? 0) : gw.now();
        gw.metrics.queueOldestWaiting.set({ queue: name }, Math.max(0, gw.now() - since) / 1000);
      } catch {
        // Redis away: keep the last known values; gigbridge_redis_up reports the outage.
      }
    }),
  );
}
