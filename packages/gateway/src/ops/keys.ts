/**
 * Redis keys of ops. Both live under the `{ops}` hash tag: the audit stream is written by every
 * process on its own, and a replay's progress hash is read and written by one replay job at a time.
 */
export const opsKeys = {
  /** Stream: the audit log, one entry per operator action (trimmed to `audit.retention`). */
  audit: "gb:{ops}:audit",
  /** Hash: a bulk replay's state and counts (kept `REPLAY_STATE_TTL_MS`). */
  replay: (id: string) => `gb:{ops}:replay:${id}`,
} as const;
