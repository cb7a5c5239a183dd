import { fuzzVerdict, runFuzz } from "./fuzz.js";

/** `npm run fuzz [-- <requests> [seed]]`: at least 20,000 generated requests; exits 1 when a property fails. */
const requests = Math.max(Number(process.argv[2] ?? 20_000), 1);
const seed = Number(process.argv[3] ?? Date.now() % 1_000_000);
console.log(`fuzz: ${requests} generated requests against gigbridge serve (seed ${seed})`);
const figures = await runFuzz({ requests, seed, log: (line) => console.log(line) });
const failures = fuzzVerdict(figures);
console.log(
  [
    `requests sent:     ${figures.requests}`,
    `answers by status: ${Object.entries(figures.byStatus)
      .sort()
      .map(([s, n]) => `${s}: ${n}`)
      .join(", ")}`,
    `memory (RSS):      ${figures.rssBaselineMb.toFixed(0)} MB after warm-up, ${figures.rssEndMb.toFixed(0)} MB at the end`,
    `process up:        ${figures.alive}`,
    `time:              ${figures.seconds.toFixed(1)} s`,
  ].join("\n"),
);
if (failures.length > 0) {
  console.error(`fuzz: ${failures.length} failed properties (seed ${seed}):\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log("fuzz: every property held");
process.exit(0);
