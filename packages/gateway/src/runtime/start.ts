import { resolve } from "node:path";
import type { GatewayConfig } from "@gigbridge/schemas";
import { recordRunningConfig } from "../cli/config-check.js";
import { createGateway, type Gateway, settleWithin } from "../core/context.js";
import type { Logger } from "../core/logger.js";
import type { MasterKey } from "../core/master-key.js";
import { createApp, createProbeApp } from "../http/app.js";
import { routeModules } from "../http/routes.js";
import { type LocalRedis, startLocalRedis } from "./local-redis.js";
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
  /**
   * Turns /readyz to 503, waits `http.shutdownDelay` (API processes), stops HTTP (finishing
   * in-flight requests), then workers, then Redis if it was started here.
   */
  close(): Promise<void>;
}

/** How long shutdown waits for a queue worker to finish its current jobs. */
const WORKER_CLOSE_MS = 10_000;

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
  const app = options.http
    ? createApp(gw, { routes: routeModules, readiness: () => workers, draining: isDraining })
    : createProbeApp(gw, () => workers, isDraining);
  if (options.http || options.workers) {
    server = await listen(app.fetch, options.port ?? 8787, options.host ?? "127.0.0.1");
  }
  let closing: Promise<void> | undefined;
  return {
    gw,
    ...(server ? { server } : {}),
    workers,
    redisUrl,
    close: () => {
      closing ??= (async () => {
        // Behind a load balancer: /readyz turns 503 first and requests are still served until the
        // balancer has noticed (`http.shutdownDelay`); then the listener closes and in-flight requests finish.
        draining = true;
        const delay = options.http ? gw.config.http.shutdownDelay : 0;
        if (server && delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        await server?.close();
        // A worker finishing its current jobs can wait forever on a Redis node that is down
        // (seen with a cluster master gone): give each a deadline, then move on.
        await Promise.all(
          workers.map((w) =>
            settleWithin(w.close(), options.workerCloseMs ?? WORKER_CLOSE_MS).then((stopped) => {
              if (!stopped) gw.logger.warn({ worker: w.name }, "worker did not stop in time; leaving it");
            }),
          ),
        );
        await gw.close();
        await local?.stop();
      })();
      return closing;
    },
  };
}
