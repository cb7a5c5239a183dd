import { describe, expect, it } from "vitest";
import { runChaos } from "./chaos/chaos.js";

/** The short version of `npm run chaos` (3,000 signals over 30 s). */
describe("chaos (short)", () => {
  it("loses and duplicates nothing while processes, Redis and the receiver fail", async () => {
    const figures = await runChaos({
      signals: 200,
      durationMs: 12_000,
      killEveryMs: 1_500,
      receiverDownMs: 3_000,
    });
    console.log("chaos short:", { ...figures, problems: figures.problems.length });
    expect(figures.problems).toEqual([]);
    expect(figures.kills).toBeGreaterThanOrEqual(4);
    expect(figures.processed).toBe(figures.acknowledged);
    expect(figures.longestKillToProcessedMs).toBeLessThan(10_000);
  }, 120_000);
});
