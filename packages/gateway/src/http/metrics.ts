import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { type QueueKey, queues } from "../core/keys.js";
import type { AppEnv } from "./env.js";

/** `GET /metrics` in Prometheus text format, with queue depths read at scrape time. */
export function metricsRoutes(gw: Gateway) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(metricsRoute, async (c) => {
    await refreshQueueDepth(gw);
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
  summary: "Prometheus metrics: requests, signals, tasks, deliveries, failures, queue depths",
  responses: {
    200: {
      description: "Prometheus text exposition format",
      content: { "text/plain": { schema: z.string() } },
    },
  },
});

async function refreshQueueDepth(gw: Gateway): Promise<void> {
  await Promise.all(
    (Object.keys(queues) as QueueKey[]).map(async (name) => {
      try {
        const counts = await gw
          .queue(name)
          .getJobCounts("waiting", "active", "delayed", "failed", "prioritized");
        for (const [state, count] of Object.entries(counts))
          gw.metrics.queueDepth.set({ queue: name, state }, count);
      } catch {
        // Redis away: keep the last known depth; /readyz reports the outage.
      }
    }),
  );
}
