export interface RetryOptions {
  /** Attempts in total, the first one included. Default 5. */
  maxAttempts?: number;
  /** The ceiling of the first retry's delay. Default 200 ms. */
  baseDelayMs?: number;
  /** No computed delay exceeds this. Default 30 000 ms. A longer `Retry-After` is still honoured. */
  maxDelayMs?: number;
}

export const defaultRetry: Required<RetryOptions> = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 30_000,
};

/**
 * Capped exponential backoff with full jitter: a uniform draw from
 * [0, min(maxDelayMs, baseDelayMs * 2^(retry-1))). Jitter spreads the retries of many
 * platforms that failed together, so they do not return to the gateway in step.
 *
 * `retry` counts retries from 1 (the delay before the second attempt).
 */
export function backoffDelay(
  retry: number,
  options: Required<RetryOptions>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 52);
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}

/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3): either delay-seconds or an HTTP date.
 * Returns milliseconds from `now`, or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === "") return undefined;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP date always has a weekday and month name; this keeps "-5" or "2" from parsing as a year.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
