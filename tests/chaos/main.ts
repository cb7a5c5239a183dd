import { runChaos } from "./chaos.js";

/** `npm run chaos [-- <signals>]`: kills, a Redis crash and a receiver outage under load; exits 1 when a property fails. */
const signals = Math.max(Number(process.argv[2] ?? 3_000), 10);
console.log(
  `chaos: ${signals} signals; serve and work processes SIGKILLed every 1.5 s, Redis once, receiver down 5 s`,
);
const f = await runChaos({
  signals,
  durationMs: 30_000,
  killEveryMs: 1_500,
  receiverDownMs: 5_000,
  log: (line) => console.log(line),
});
console.log(
  [
    `acknowledged signals:        ${f.acknowledged}`,
    `processed:                   ${f.processed}`,
    `tasks (most per signal):     ${f.tasks} (${f.tasksPerSignalMax})`,
    `webhook ids received:        ${f.webhooksReceived} (deliveries completed ${f.delivered})`,
    `failed work listed:          ${f.failures}`,
    `process kills:               ${f.kills}`,
    `longest kill -> processed:   ${Math.round(f.longestKillToProcessedMs)} ms`,
    `time:                        ${f.seconds.toFixed(1)} s`,
  ].join("\n"),
);
if (f.problems.length > 0) {
  console.error(`chaos: ${f.problems.length} failed properties:\n  ${f.problems.slice(0, 30).join("\n  ")}`);
  process.exit(1);
}
console.log("chaos: every property held");
process.exit(0);
