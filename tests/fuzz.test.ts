import { describe, expect, it } from "vitest";
import { fuzzVerdict, runFuzz } from "./fuzz/fuzz.js";

/** The short version of `npm run fuzz` (which sends at least 20,000 requests). */
describe("fuzz (short)", () => {
  it("answers generated malformed requests without a 5xx, always as problem+json, never echoing a key", async () => {
    const figures = await runFuzz({ requests: 800, seed: 17 });
    console.log(
      `fuzz short: ${figures.requests} requests in ${figures.seconds.toFixed(1)} s`,
      figures.byStatus,
    );
    expect(fuzzVerdict(figures)).toEqual([]);
  }, 60_000);
});
