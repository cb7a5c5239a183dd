import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { Cluster } from "ioredis";
import type { Gateway } from "../core/context.js";
import type { RedisClient } from "../core/redis.js";
import type { AppEnv } from "./env.js";

/** Something that runs in the background and can say whether it is working (queue workers). */
export interface Readiness {
  name: string;
  ready(): boolean;
}

/**
 * `/healthz`: the process is alive. `/readyz`: Redis answers within a second
 * and every started worker is running; load balancers stop sending traffic
 * while it is 503 and resume by themselves when Redis is back. From the start
 * of a shutdown it is 503 `shutting_down` for good.
 */
export function healthRoutes(gw: Gateway, checks: () => Readiness[], draining: () => boolean = () => false) {
  const app = new OpenAPIHono<AppEnv>();
  app.openapi(healthRoute, (c) => c.json({ status: "ok" as const }, 200));
  app.openapi(readyRoute, async (c) => {
    // Shutting down: tell the load balancer first, while requests are still served.
    if (draining()) return c.json({ status: "shutting_down" as const }, 503);
    const { ok, redis, workers } = await readiness(gw, checks());
    const body = { redis: redis ? ("up" as const) : ("down" as const), workers };
    return ok
      ? c.json({ status: "ready" as const, ...body }, 200)
      : c.json({ status: "unavailable" as const, ...body }, 503);
  });
  return app;
}

/** What /readyz reports (and `/metrics` exports as `gigbridge_ready` and `gigbridge_redis_up`). */
export async function readiness(gw: Gateway, checks: Readiness[]) {
  const redis = await pingWithin(gw, 1000);
  const workers = checks.map((w) => ({ name: w.name, ready: w.ready() }));
  return { ok: redis && workers.every((w) => w.ready), redis, workers };
}

const tags = ["Probes"];

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  tags,
  summary: "Liveness: the process answers",
  responses: {
    200: {
      description: "Alive",
      content: { "application/json": { schema: z.object({ status: z.literal("ok") }) } },
    },
  },
});

const readinessSchema = z
  .object({
    status: z.enum(["ready", "unavailable", "shutting_down"]),
    redis: z
      .enum(["up", "down"])
      .optional()
      .describe(
        "Whether Redis (every master, on a cluster) answered within a second; absent while shutting down.",
      ),
    workers: z
      .array(z.object({ name: z.string(), ready: z.boolean() }))
      .optional()
      .describe("The queue workers this process runs, each running or not; absent while shutting down."),
  })
  .openapi("Readiness");

const readyRoute = createRoute({
  method: "get",
  path: "/readyz",
  tags,
  summary: "Readiness: Redis answers and every worker of this process runs",
  description:
    "Load balancers stop sending traffic while it is 503 and resume by themselves when it is 200 again.",
  responses: {
    200: { description: "Ready", content: { "application/json": { schema: readinessSchema } } },
    503: {
      description: "Not ready: Redis is down or a worker stopped",
      content: { "application/json": { schema: readinessSchema } },
    },
  },
});

async function pingWithin(gw: Gateway, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    return await Promise.race([pingAll(gw.redis), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One Redis answers PING. A cluster is up when every slot has a master this client knows and each
 * of those masters answers: a master that is down takes its slots' keys with it, even while the
 * surviving nodes still call the cluster ok (until `cluster-node-timeout` passes).
 */
async function pingAll(redis: RedisClient): Promise<boolean> {
  if (!(redis instanceof Cluster)) return (await redis.ping()) === "PONG";
  if (redis.status !== "ready") return false;
  const known = new Map(
    redis.nodes("master").map((node) => [`${node.options.host}:${node.options.port}`, node]),
  );
  const owners = new Set<string>();
  for (let slot = 0; slot < CLUSTER_SLOTS; slot++) {
    const owner = redis.slots[slot]?.[0];
    if (!owner) return false;
    owners.add(owner);
  }
  const masters = [...owners].map((key) => known.get(key));
  if (masters.some((node) => node === undefined)) return false;
  const replies = await Promise.all(masters.map((node) => node?.ping()));
  return replies.every((reply) => reply === "PONG");
}

const CLUSTER_SLOTS = 16384;
