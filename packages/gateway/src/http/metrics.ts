import { Hono } from "hono";
import type { Gateway } from "../core/context.js";
import { type QueueKey, queues } from "../core/keys.js";
import type { AppEnv } from "./env.js";

/** `GET /metrics` in Prometheus text format, with queue depths read at scrape time. */
export function metricsRoutes(gw: Gateway) {
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => {
    await refreshQueueDepth(gw);
    return c.body(await gw.metrics.registry.metrics(), 200, {
      "content-type": gw.metrics.registry.contentType,
    });
  });
  return app;
}

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
