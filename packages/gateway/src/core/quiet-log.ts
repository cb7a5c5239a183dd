import { isRedisUnavailable } from "./errors.js";
import type { Logger } from "./logger.js";
import type { RedisClient } from "./redis.js";

/** A repeated identical error is logged once per this window, then once more with its count. */
const REPEAT_WINDOW_MS = 60_000;

/**
 * Keeps outages and repeated errors to a few log lines. While Redis is away,
 * every queue worker's connection errors several times a second; a log of
 * "connect ECONNREFUSED" lines hides everything else. Instead: one warning
 * when the connection is lost, one line when it is back, with how long it was
 * away and how many errors were left out. Any other error is logged the first
 * time, and a line with its count at most once a minute while it repeats.
 */
export class QuietLog {
  private outage: { since: number; suppressed: number } | undefined;
  private readonly repeats = new Map<string, { since: number; suppressed: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Watches a connection: its `ready` after an outage ends the outage. */
  watch(redis: RedisClient): void {
    redis.on("ready", () => this.recovered());
  }

  /** An error from `source` (e.g. "signal worker"). */
  error(source: string, error: unknown): void {
    if (isRedisUnavailable(error)) {
      if (this.outage) {
        this.outage.suppressed++;
        return;
      }
      this.outage = { since: this.now(), suppressed: 0 };
      this.logger.warn(
        { source, code: (error as { code?: string }).code },
        "Redis connection lost; waiting for it to come back (further connection errors are counted, not logged)",
      );
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    const key = `${source}\u0000${message}`;
    const now = this.now();
    const seen = this.repeats.get(key);
    if (!seen) {
      if (this.repeats.size >= 1000) this.repeats.clear();
      this.repeats.set(key, { since: now, suppressed: 0 });
      this.logger.warn({ err: error, source }, `${source} error`);
      return;
    }
    seen.suppressed++;
    if (now - seen.since >= REPEAT_WINDOW_MS) {
      this.logger.warn(
        { source, repeated: seen.suppressed, err: error },
        `${source} error repeated ${seen.suppressed} times in ${Math.round((now - seen.since) / 1000)} s`,
      );
      this.repeats.set(key, { since: now, suppressed: 0 });
    }
  }

  /** Ends an outage, if there is one, with one line. */
  recovered(): void {
    const outage = this.outage;
    if (!outage) return;
    this.outage = undefined;
    const ms = this.now() - outage.since;
    this.logger.info(
      { downMs: ms, suppressed: outage.suppressed },
      `Redis connection back after ${(ms / 1000).toFixed(1)} s; ${outage.suppressed} connection errors were not logged`,
    );
  }
}
