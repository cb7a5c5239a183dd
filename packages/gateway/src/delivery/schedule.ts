/** The Svix schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_SCHEDULE_MS: readonly number[] = [
  0,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
  10 * 3_600_000,
];

/** A receiver cannot park a message for longer than this with `Retry-After`. */
export const MAX_RETRY_AFTER_MS = 24 * 3_600_000;

/**
 * Milliseconds to wait before the next attempt, after `attemptsMade` attempts
 * have failed, or `undefined` when the schedule is exhausted. `schedule[i]` is
 * the wait before attempt `i + 1`, so `schedule.length` is the number of attempts.
 * Jitter spreads retries by up to ±`jitter` (a fraction) so receivers that come
 * back are not hit by every queued message in the same instant.
 */
export function nextDelayMs(
  attemptsMade: number,
  schedule: readonly number[],
  jitter: number,
  random: () => number = Math.random,
): number | undefined {
  const base = schedule[attemptsMade];
  if (base === undefined || attemptsMade < 1) return undefined;
  const spread = Math.min(Math.max(jitter, 0), 1);
  return Math.max(0, Math.round(base * (1 + spread * (random() * 2 - 1))));
}

/** Whether the attempt numbered `attempt` (1-based) is the last the schedule allows. */
export function isLastAttempt(attempt: number, schedule: readonly number[]): boolean {
  return attempt >= Math.max(schedule.length, 1);
}

/**
 * Parses `Retry-After` (delay seconds or an HTTP date) into milliseconds from
 * `nowMs`, capped at {@link MAX_RETRY_AFTER_MS}; `undefined` when absent or malformed.
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at) || !/[a-z]/i.test(text)) return undefined;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** However short the scheduled wait, `Retry-After` may stretch it to this much. */
export const RETRY_AFTER_FLOOR_MS = 60_000;

/**
 * The wait before the next attempt: the schedule's, but not earlier than the receiver asked for
 * with `Retry-After`, which is honoured up to twice the scheduled wait (at least
 * {@link RETRY_AFTER_FLOOR_MS}). A receiver can ask for a pause, not park a message for a day
 * at its second attempt; the schedule's later steps still give it hours.
 */
export function retryDelayMs(scheduledMs: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs === undefined) return scheduledMs;
  const bound = Math.max(2 * scheduledMs, RETRY_AFTER_FLOOR_MS);
  return Math.max(scheduledMs, Math.min(retryAfterMs, bound));
}
