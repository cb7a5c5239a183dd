import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

export const SECOND = UNIT_MS.s;
export const MINUTE = UNIT_MS.m;
export const HOUR = UNIT_MS.h;
export const DAY = UNIT_MS.d;

/** Parses `"500ms"`, `"5s"`, `"5m"`, `"2h"` or `"7d"` into milliseconds; undefined if it is not one. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** The shortest exact string form of a duration in milliseconds, e.g. `90000` becomes `"90s"`. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    if (ms !== 0 && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** A duration as milliseconds (a non-negative integer) or a string like `"500ms"`, `"5s"`, `"5m"`, `"2h"`, `"7d"`. */
export const durationSchema = z
  .union([
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .regex(DURATION, {
        message: 'must be a number of milliseconds or a string like "500ms", "5s", "5m", "2h", "7d"',
      })
      .transform((text, ctx) => {
        const ms = parseDuration(text);
        if (ms === undefined) {
          ctx.issues.push({ code: "custom", input: text, message: "duration is too large" });
          return z.NEVER;
        }
        return ms;
      }),
  ])
  .meta({
    description: 'Duration: milliseconds as a number, or a string like "500ms", "5s", "5m", "2h", "7d".',
    examples: ["15s", 86_400_000],
  });
