import { describe, expect, it } from "vitest";
import {
  DEFAULT_SCHEDULE_MS,
  isLastAttempt,
  MAX_RETRY_AFTER_MS,
  nextDelayMs,
  parseRetryAfter,
  retryDelayMs,
} from "./schedule.js";

describe("schedule", () => {
  it("follows the Svix schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((made) => nextDelayMs(made, DEFAULT_SCHEDULE_MS, 0));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(nextDelayMs(8, DEFAULT_SCHEDULE_MS, 0)).toBeUndefined();
    expect(isLastAttempt(8, DEFAULT_SCHEDULE_MS)).toBe(true);
    expect(isLastAttempt(7, DEFAULT_SCHEDULE_MS)).toBe(false);
  });

  it("spreads delays by at most the jitter fraction either way", () => {
    expect(nextDelayMs(1, [0, 1000], 0.2, () => 0)).toBe(800);
    expect(nextDelayMs(1, [0, 1000], 0.2, () => 0.999999)).toBe(1200);
    expect(nextDelayMs(1, [0, 1000], 0.2, () => 0.5)).toBe(1000);
    for (let i = 0; i < 100; i++) {
      const delay = nextDelayMs(1, [0, 1000], 0.2)!;
      expect(delay).toBeGreaterThanOrEqual(800);
      expect(delay).toBeLessThanOrEqual(1200);
    }
  });

  it("parses Retry-After as seconds or an HTTP date, and ignores nonsense", () => {
    const now = Date.parse("2024-06-01T00:00:00Z");
    expect(parseRetryAfter("7", now)).toBe(7_000);
    expect(parseRetryAfter(["3"], now)).toBe(3_000);
    expect(parseRetryAfter("Sat, 01 Jun 2024 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Fri, 31 May 2024 00:00:00 GMT", now)).toBe(0);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("999999999", now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it("never retries earlier than the receiver asked", () => {
    expect(retryDelayMs(50, 2_000)).toBe(2_000);
    expect(retryDelayMs(5_000, 1_000)).toBe(5_000);
    expect(retryDelayMs(50, undefined)).toBe(50);
  });

  it("honours Retry-After only up to twice the scheduled wait (at least a minute)", () => {
    const hour = 3_600_000;
    // The second attempt (5 s scheduled) cannot be parked for a day by `Retry-After: 86400`.
    expect(retryDelayMs(5_000, 24 * hour)).toBe(60_000);
    expect(retryDelayMs(5_000, 30_000)).toBe(30_000);
    expect(retryDelayMs(2 * hour, 3 * hour)).toBe(3 * hour);
    expect(retryDelayMs(2 * hour, 24 * hour)).toBe(4 * hour);
  });
});
