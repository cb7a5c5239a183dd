/**
 * Every Redis key the gateway writes, in one place. Keys that one Lua script or
 * MULTI touches together share a `{...}` hash tag so they land in one Redis
 * Cluster slot; BullMQ queues get a hash-tagged prefix of their own.
 */
export const keys = {
  /** A platform's signal: idempotency marker and the status `GET /v1/signals/{id}` reads. */
  signal: (platformId: string, signalId: string) => `gb:{p:${platformId}}:signal:${signalId}`,
  /**
   * Sorted set (all scores 0, read by lex range): `<subject> <signal id>` of signals accepted and not
   * yet picked up by processing, so an erasure finds a worker's waiting signals without a scan.
   */
  queued: (platformId: string) => `gb:{p:${platformId}}:queued`,
  /** The platform's rate-limit bucket. */
  rate: (platformId: string) => `gb:{p:${platformId}}:rate`,
  /**
   * Credentials made at run time and revocations of any key: key id -> JSON
   * `{hash, principal, createdAt, expiresAt?, revokedAt?}`, and `#version`, counted up on every change.
   */
  credentials: "gb:credentials",
  /** When each key was last used (key id -> ms), written at most once a minute per key and process. */
  credentialsUsed: "gb:credentials:used",
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
  erasures: { name: "erasures", prefix: "{gb:erasures}" },
} as const;

export type QueueKey = keyof typeof queues;

/** A signal's job id on `signals`. BullMQ forbids `:` in custom ids; `%` never occurs in a signal id, so this is one-to-one. */
export function signalJobId(platformId: string, signalId: string): string {
  return `${platformId}|${signalId.replaceAll(":", "%3A")}`;
}
