import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

/** A connection to one Redis or to a Redis Cluster; every key and script of the gateway works on both. */
export type RedisClient = Redis | Cluster;

/** What a `redis+cluster://` URL names: the nodes to discover the cluster from, and how to log in. */
export interface ClusterUrl {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\/(.*)$/i;

/**
 * Parses `redis+cluster://[user:password@]host:port[,host:port...]` (`rediss+cluster://` for TLS).
 * Any reachable node will do; the rest of the cluster is discovered from it. Answers undefined for
 * any other URL (a single Redis, `redis://` or `rediss://`).
 */
export function parseClusterUrl(url: string): ClusterUrl | undefined {
  const match = CLUSTER_SCHEME.exec(url);
  if (!match) return undefined;
  const [, scheme, rest = ""] = match;
  const authority = rest.replace(/[/?#].*$/, "");
  const at = authority.lastIndexOf("@");
  const userinfo = at === -1 ? "" : authority.slice(0, at);
  const hosts = at === -1 ? authority : authority.slice(at + 1);
  const nodes = hosts.split(",").map((entry) => {
    const node = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(entry.trim());
    if (!node?.[1]) throw new Error(`REDIS_URL: "${entry}" is not a host[:port] of a cluster node`);
    return { host: node[1].replace(/^\[|\]$/g, ""), port: Number(node[2] ?? 6379) };
  });
  const colon = userinfo.indexOf(":");
  const username = decodeURIComponent(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? "" : decodeURIComponent(userinfo.slice(colon + 1));
  return {
    nodes,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls: scheme?.toLowerCase() === "rediss",
  };
}

const retryStrategy = (times: number) => Math.min(50 * times, 500);

function cluster(parsed: ClusterUrl, options: ClusterOptions, redisOptions: RedisOptions): Cluster {
  return new Cluster(parsed.nodes, {
    clusterRetryStrategy: retryStrategy,
    lazyConnect: true,
    ...options,
    redisOptions: {
      ...(parsed.username ? { username: parsed.username } : {}),
      ...(parsed.password ? { password: parsed.password } : {}),
      ...(parsed.tls ? { tls: {} } : {}),
      ...redisOptions,
    },
  });
}

/**
 * Connection settings for request paths: fail fast instead of queueing while
 * Redis is away, so the HTTP layer can answer 503 within its budget, and keep
 * reconnecting in the background so the gateway recovers by itself.
 */
export function commandConnection(url: string, name: string): RedisClient {
  const parsed = parseClusterUrl(url);
  if (parsed) {
    return cluster(
      parsed,
      { enableOfflineQueue: false },
      { connectionName: name, maxRetriesPerRequest: 0, commandTimeout: 1500, connectTimeout: 1500 },
    );
  }
  return new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 1500,
    connectTimeout: 1500,
    retryStrategy,
    lazyConnect: true,
  } satisfies RedisOptions);
}

/**
 * Settings for BullMQ workers: blocking commands must wait out outages
 * (`maxRetriesPerRequest: null`, as BullMQ requires). Never auto-pipelined.
 */
export function workerConnection(url: string, name: string): RedisClient {
  const parsed = parseClusterUrl(url);
  if (parsed) {
    return cluster(
      parsed,
      { enableAutoPipelining: false },
      { connectionName: name, maxRetriesPerRequest: null },
    );
  }
  return new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: null,
    enableAutoPipelining: false,
    retryStrategy,
    lazyConnect: true,
  } satisfies RedisOptions);
}

/** Connects a lazily created client and waits until it is ready. */
export async function connect<T extends RedisClient>(client: T): Promise<T> {
  if (client.status === "wait") await client.connect();
  return client;
}
