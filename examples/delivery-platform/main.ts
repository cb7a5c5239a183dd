/**
 * A delivery platform's onboarding flow, sending its signals to GigBridge.
 *
 *   npm start                                   # in the repo root, in another terminal
 *   npm start -w @gigbridge/example-delivery-platform
 *
 * GIGBRIDGE_URL (default http://localhost:8787) and GIGBRIDGE_API_KEY (default:
 * the demo platform's key from examples/dev/credentials.json) choose the gateway.
 */
import { readFileSync } from "node:fs";
import { GigBridge, ValidationError } from "@gigbridge/sdk";

const credentials = JSON.parse(readFileSync(new URL("../dev/credentials.json", import.meta.url), "utf8")) as {
  platforms: Record<string, string>;
};
const baseUrl = process.env.GIGBRIDGE_URL ?? "http://localhost:8787";
const apiKey = process.env.GIGBRIDGE_API_KEY ?? (credentials.platforms["demo-delivery"] as string);
// A run id keeps this demo's signal ids apart from an earlier run's (ids are idempotency keys).
const run = process.env.RUN_ID ?? Date.now().toString(36);

const client = new GigBridge({ apiKey, baseUrl, flushAt: 50, flushIntervalMs: 200 });
client.on("retry", ({ attempt, delayMs, error }) =>
  console.log(`retry ${attempt} in ${delayMs} ms: ${error.name}`),
);

const consent = (scopes: ("share_membership" | "share_contact")[]) => ({
  id: `consent-${run}`,
  grantedAt: new Date().toISOString(),
  scopes,
});

// 1. A rider joins at a station in Jianwai street and declares membership: the street org gets a register_member task.
const onboarded = await client.workers.onboarded(
  {
    workerId: `rider-${run}`,
    role: "rider",
    employment: "full_time",
    regionCode: "110105001",
    stationId: "st-jianwai-1",
  },
  { id: `onboard-${run}` },
);
console.log(`onboarded: ${onboarded.id} ${onboarded.status}`);

const declared = await client.membership.declared(
  {
    workerId: `rider-${run}`,
    politicalStatus: "member",
    regionCode: "110105001",
    stationId: "st-jianwai-1",
    homeOrganization: { name: "Demo county first branch" },
    consent: consent(["share_membership"]),
  },
  { id: `declare-${run}` },
);
console.log(`declared: ${declared.id} ${declared.status}`);

// 2. Activity records in batching mode: each enqueue settles with its own outcome.
const activities = Array.from({ length: 5 }, (_, i) =>
  client.enqueue({
    id: `activity-${run}-${i}`,
    type: "activity.completed",
    data: { workerId: `rider-${run}`, kind: "volunteer", hours: 2, activityId: `act-${run}-${i}` },
  }),
);

// 3. A bad signal is refused locally, before any request, with the gateway's own JSON Pointers.
try {
  await client.appeals.raised({
    workerId: `rider-${run}`,
    category: "wages",
    urgency: "urgent",
    summary: "",
    regionCode: "990000",
  });
} catch (error) {
  if (!(error instanceof ValidationError)) throw error;
  console.log(`refused locally: ${error.errors.map((e) => e.pointer).join(", ")}`);
}

await client.close({ timeoutMs: 10_000 });
const outcomes = await Promise.all(activities);
console.log(
  `activities: ${outcomes.filter((o) => o.status === "accepted").length} accepted, ${outcomes.filter((o) => o.status === "duplicate").length} duplicates`,
);

// 4. What became of the membership signal (processing is asynchronous, so it may still be queued).
const status = await new GigBridge({ apiKey, baseUrl }).signals.get(declared.id);
console.log(
  `status of ${declared.id}: ${status.status}${status.tasks.length ? `, tasks ${status.tasks.join(", ")}` : ""}`,
);
