import { Redis, type RedisOptions } from "ioredis";

/**
 * Connection settings for request paths: fail fast instead of queueing while
 * Redis is away, so the HTTP layer can answer 503 within its budget, and keep
 * reconnecting in the background so the gateway recovers by itself.
 */
export function commandConnection(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1500,
    connectTimeout: 1500,
    retryStrategy: (times) => Math.min(50 * times, 500),
    lazyConnect: true,
  } satisfies RedisOptions);
}

/**
 * Settings for BullMQ workers: blocking commands must wait out outages
 * (`maxRetriesPerRequest: null`, as BullMQ requires). Never auto-pipelined.
 */
export function workerConnection(url: string, name: string): Redis {
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableAutoPipelining: false,
    retryStrategy: (times) => Math.min(50 * times, 500),
    lazyConnect: true,
  } satisfies RedisOptions);
}

/** Connects a lazily created client and waits until it is ready. */
export async function connect(client: Redis): Promise<Redis> {
  if (client.status === "wait") await client.connect();
  return client;
}
