import { Hono } from "hono";
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
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
    // Shutting down: tell the load balancer first, while requests are still served.
    if (draining()) return c.json({ status: "shutting_down" }, 503);
    const redis = await pingWithin(gw, 1000);
    const workers = checks().map((w) => ({ name: w.name, ready: w.ready() }));
    const ok = redis && workers.every((w) => w.ready);
    return c.json(
      { status: ok ? "ready" : "unavailable", redis: redis ? "up" : "down", workers },
      ok ? 200 : 503,
    );
  });
  return app;
}

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
