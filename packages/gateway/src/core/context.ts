import type { GatewayConfig } from "@gigbridge/schemas";
import { Queue } from "bullmq";
import { Credentials, configuredPrincipals } from "./credentials.js";
import { type QueueKey, queues } from "./keys.js";
import { createLogger, type Logger } from "./logger.js";
import { type MasterKey, UNNAMED_KEY_ID } from "./master-key.js";
import { Metrics } from "./metrics.js";
import { OrgDirectory } from "./orgs.js";
import { QuietLog } from "./quiet-log.js";
import { commandConnection, type RedisClient, workerConnection } from "./redis.js";

/**
 * Everything a stage needs, passed explicitly: configuration, the Redis
 * connection for request paths, logger, metrics, the master key, the clock,
 * the org tree, credentials and the producer side of each queue. One per
 * process; gateway processes share nothing but Redis.
 */
export interface Gateway {
  readonly config: GatewayConfig;
  readonly redisUrl: string;
  /** Fails fast while Redis is away (request paths answer 503 instead of hanging). */
  readonly redis: RedisClient;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** The current master key: everything new is derived from or sealed with it. */
  readonly masterKey: Buffer;
  readonly masterKeyId: string;
  /** Keys a master-key rotation still reads (`GIGBRIDGE_MASTER_KEY` after the current one). */
  readonly previousMasterKeys: readonly MasterKey[];
  readonly orgs: OrgDirectory;
  readonly credentials: Credentials;
  /** Where background errors go: one line per outage or repeated error, not one per occurrence. */
  readonly quietLog: QuietLog;
  /** Milliseconds since the epoch; replaceable in tests. */
  now(): number;
  /** The producer for a queue (created once, shared by the process). */
  queue(name: QueueKey): Queue;
  /** A new connection suitable for a BullMQ Worker or QueueEvents; the caller closes it. */
  workerConnection(name: string): RedisClient;
  /** Registers something to close on shutdown, in reverse order. */
  onClose(fn: () => Promise<void> | void): void;
  close(): Promise<void>;
}

export interface GatewayOptions {
  config: GatewayConfig;
  redisUrl: string;
  masterKey: Buffer;
  masterKeyId?: string;
  previousMasterKeys?: readonly MasterKey[];
  logger?: Logger;
  now?: () => number;
}

export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const redis = commandConnection(options.redisUrl, "gigbridge");
  redis.on("error", () => {
    // Outages surface as 503s and in /readyz; ioredis keeps reconnecting.
  });
  // Wait briefly for Redis, but start anyway: a gateway may start while Redis is down and recover later.
  await settleWithin(redis.connect(), 5000);
  const logger = options.logger ?? createLogger();
  const quietLog = new QuietLog(logger);
  quietLog.watch(redis);
  const producers = new Map<QueueKey, Queue>();
  const closers: (() => Promise<void> | void)[] = [];
  let closed = false;

  const gw: Gateway = {
    config: options.config,
    redisUrl: options.redisUrl,
    redis,
    logger,
    metrics: new Metrics(),
    quietLog,
    masterKey: options.masterKey,
    masterKeyId: options.masterKeyId ?? UNNAMED_KEY_ID,
    previousMasterKeys: options.previousMasterKeys ?? [],
    orgs: new OrgDirectory(options.config.orgs, redis),
    credentials: new Credentials(configuredPrincipals(options.config), redis, {
      revoked: new Set(options.config.revokedKeyHashes),
      ...(options.now ? { now: options.now } : {}),
    }),
    now: options.now ?? Date.now,
    queue(name) {
      let queue = producers.get(name);
      if (!queue) {
        const { name: queueName, prefix } = queues[name];
        // The producer shares the fail-fast settings of request paths: an add while Redis is away errors at once.
        const connection = commandConnection(options.redisUrl, `gigbridge:queue:${queueName}`);
        connection.on("error", () => {});
        connection.connect().catch(() => {});
        queue = new Queue(queueName, { connection, prefix });
        queue.on("error", () => {});
        producers.set(name, queue);
        closers.push(async () => {
          await queue?.close();
          connection.disconnect();
        });
      }
      return queue;
    },
    workerConnection(name) {
      const connection = workerConnection(options.redisUrl, name);
      connection.on("error", () => {});
      return connection;
    },
    onClose(fn) {
      closers.push(fn);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const fn of closers.reverse()) {
        try {
          await fn();
        } catch (error) {
          logger.warn({ err: error }, "error while closing");
        }
      }
      redis.disconnect();
    },
  };
  return gw;
}

/** Waits for a promise up to `ms`, ignoring its outcome; true when it settled in time. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    }),
  ]);
  clearTimeout(timer);
  return settled;
}
