import { resolve } from "node:path";
import type { GatewayConfig } from "@gigbridge/schemas";
import { recordRunningConfig } from "../config/check.js";
import { consoleRoutes } from "../console/app.js";
import { createGateway, type Gateway, settleWithin } from "../core/context.js";
import type { Logger } from "../core/logger.js";
import type { MasterKey } from "../core/master-key.js";
import { refreshEndpointHealth } from "../delivery/metrics.js";
import { createApp, createProbeApp } from "../http/app.js";
import { processingMetrics } from "../processing/metrics.js";
import { taskMetrics } from "../tasks/metrics.js";
import { type LocalRedis, startLocalRedis } from "./local-redis.js";
import { routeModules } from "./routes.js";
import { listen, type RunningServer } from "./server.js";
import { type BackgroundWorker, startWorkers } from "./workers.js";

export interface RunOptions {
  config: GatewayConfig;
  masterKey: Buffer;
  masterKeyId?: string;
  /** Previous master keys, read while a rotation runs. */
  previousMasterKeys?: readonly MasterKey[];
  /** Redis to use; without it a local redis-server is started with data in `dataDir`. */
  redisUrl?: string;
  dataDir?: string;
  /** Serve HTTP (`gigbridge serve`), run queue workers (`gigbridge work`), or both (`gigbridge start`). */
  http: boolean;
  workers: boolean;
  port?: number;
  host?: string;
  logger?: Logger;
  now?: () => number;
  /** How long shutdown waits for each queue worker to finish its current jobs (default 10 s). */
  workerCloseMs?: number;
}

export interface RunningGateway {
  gw: Gateway;
  server?: RunningServer;
  workers: BackgroundWorker[];
  redisUrl: string;
  /** Settles when the redis-server started here exited and could not be restarted; the caller must stop. */
  redisLost?: Promise<Error>;
  /**
   * Turns /readyz to 503, waits `http.shutdownDelay` (API processes, while Redis answers), stops HTTP
   * (finishing in-flight requests), then workers, then Redis if it was started here.
   */
  close(): Promise<void>;
}

/**
 * Shutdown deadlines: in-flight HTTP requests, then queue workers (in parallel),
 * then connections. At most 25 s with Redis up; with Redis unreachable at most
 * 2 s, since nothing in flight can finish (stalled jobs are taken over later).
 */
export const SHUTDOWN = { httpMs: 10_000, workerMs: 10_000, connectionsMs: 5_000 } as const;
export const SHUTDOWN_REDIS_DOWN = { httpMs: 500, workerMs: 1_000, connectionsMs: 500 } as const;

export async function runGateway(options: RunOptions): Promise<RunningGateway> {
  const local: LocalRedis | undefined = options.redisUrl
    ? undefined
    : await startLocalRedis(resolve(options.dataDir ?? ".data/redis"));
  const redisUrl = options.redisUrl ?? (local as LocalRedis).url;
  const gw = await createGateway({
    config: options.config,
    redisUrl,
    masterKey: options.masterKey,
    ...(options.masterKeyId ? { masterKeyId: options.masterKeyId } : {}),
    ...(options.previousMasterKeys ? { previousMasterKeys: options.previousMasterKeys } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  // Best effort: a gateway may start while Redis is away, and this only informs `config check`.
  await recordRunningConfig(gw.redis, options.config, new Date(gw.now())).catch(() => {});
  // The intake producer is warmed up so the first request does not race its connection.
  if (options.http) await settleWithin(gw.queue("signals").waitUntilReady(), 5000);
  const workers = options.workers ? await startWorkers(gw) : [];
  let server: RunningServer | undefined;
  let draining = false;
  const isDraining = () => draining;
  // An API process serves the API; a worker-only process still serves /healthz, /readyz and /metrics.
  // Every stage's series exist from the first scrape, whichever stages run in this process.
  processingMetrics(gw);
  taskMetrics(gw);
  const onScrape = () => refreshEndpointHealth(gw);
  const app = options.http
    ? createApp(gw, {
        routes: routeModules,
        pages: [consoleRoutes],
        readiness: () => workers,
        onScrape,
        draining: isDraining,
      })
    : createProbeApp(gw, () => workers, onScrape, isDraining);
  if (options.http || options.workers) {
    server = await listen(app.fetch, options.port ?? 8787, options.host ?? "127.0.0.1");
  }
  if (local) local.onRestart = (line) => gw.logger.warn(line);
  let closing: Promise<void> | undefined;
  return {
    gw,
    ...(local ? { redisLost: local.gaveUp } : {}),
    ...(server ? { server } : {}),
    workers,
    redisUrl,
    close: () => {
      closing ??= (async () => {
        // With Redis away nothing in flight can finish: stop quickly rather than wait out each deadline.
        const reachable = gw.redis.status === "ready";
        const limits = reachable ? SHUTDOWN : SHUTDOWN_REDIS_DOWN;
        // Behind a load balancer: /readyz turns 503 first and requests are still served until the
        // balancer has noticed (`http.shutdownDelay`); then the listener closes and in-flight requests finish.
        draining = true;
        const delay = options.http && reachable ? gw.config.http.shutdownDelay : 0;
        if (server && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        await server?.close(limits.httpMs);
        // Workers close in parallel, each with the deadline; one still busy after it is forced
        // (a worker can wait forever on a Redis node that is down, as seen with a cluster master gone).
        const workerMs = reachable ? (options.workerCloseMs ?? limits.workerMs) : limits.workerMs;
        await Promise.all(
          workers.map((w) =>
            settleWithin(w.close(), workerMs).then((stopped) => {
              if (stopped) return;
              gw.logger.warn({ worker: w.name }, "worker did not stop in time; forced");
              w.forceClose();
            }),
          ),
        );
        await settleWithin(gw.close(), limits.connectionsMs);
        await local?.stop();
      })();
      return closing;
    },
  };
}
