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
 * while it is 503 and resume by themselves when Redis is back.
 */
export function healthRoutes(gw: Gateway, checks: () => Readiness[]) {
  const app = new Hono<AppEnv>();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", async (c) => {
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

/** One Redis answers PING; a cluster is up when it is ready and every master answers (each holds part of the keys). */
async function pingAll(redis: RedisClient): Promise<boolean> {
  if (!(redis instanceof Cluster)) return (await redis.ping()) === "PONG";
  if (redis.status !== "ready") return false;
  const masters = redis.nodes("master");
  const replies = await Promise.all(masters.map((node) => node.ping()));
  return masters.length > 0 && replies.every((reply) => reply === "PONG");
}
