import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay, defaultRetry, parseRetryAfter } from "./backoff.js";

describe("backoffDelay", () => {
  it("draws from [0, min(max, base * 2^(retry-1)))", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (retry, r) => {
          const delay = backoffDelay(retry, defaultRetry, () => r);
          const ceiling = Math.min(30_000, 200 * 2 ** (retry - 1));
          return Number.isInteger(delay) && delay >= 0 && delay < ceiling;
        },
      ),
    );
  });

  it("grows exponentially until the cap", () => {
    const top = () => 0.999_999;
    expect([1, 2, 3, 8, 9, 50].map((n) => backoffDelay(n, defaultRetry, top))).toEqual([
      199, 399, 799, 25_599, 29_999, 29_999,
    ]);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2024-06-01T00:00:00Z");
  it("reads delay-seconds and HTTP dates", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter(" 7 ", now)).toBe(7_000);
    expect(parseRetryAfter("Sat, 01 Jun 2024 00:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter("Fri, 31 May 2024 23:00:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("-5", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});
