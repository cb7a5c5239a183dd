/**
 * Every Redis key the gateway writes, in one place. Keys that one Lua script or
 * MULTI touches together share a `{...}` hash tag so they land in one Redis
 * Cluster slot; BullMQ queues get a hash-tagged prefix of their own.
 */
export const keys = {
  /** A platform's signal: idempotency marker and the status `GET /v1/signals/{id}` reads. */
  signal: (platformId: string, signalId: string) => `gb:{p:${platformId}}:signal:${signalId}`,
  /** The platform's rate-limit bucket. */
  rate: (platformId: string) => `gb:{p:${platformId}}:rate`,
  /** Credentials created at run time (`gigbridge keys create`): key hash -> principal JSON. */
  credentials: "gb:credentials",
  /** Organizations added at run time by operators, merged over the configured tree. */
  orgs: "gb:{orgs}:all",
  orgsVersion: "gb:{orgs}:version",
  /** What the last gateway process to start was configured with (`gigbridge config check` compares). */
  runningConfig: "gb:config:running",
} as const;

/** BullMQ queue names and their hash-tagged prefixes (one slot per queue on a cluster). */
export const queues = {
  signals: { name: "signals", prefix: "{gb:signals}" },
  deliveries: { name: "deliveries", prefix: "{gb:deliveries}" },
  overdue: { name: "overdue", prefix: "{gb:overdue}" },
  replays: { name: "replays", prefix: "{gb:replays}" },
} as const;

export type QueueKey = keyof typeof queues;
