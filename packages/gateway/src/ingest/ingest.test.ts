import { request } from "node:http";
import { signalExamples } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keys } from "../core/keys.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { signalJobId } from "./intake.js";

const onboarded = signalExamples["worker.onboarded"];
const withId = (id: string) => ({ ...onboarded, id });

describe("signal intake", () => {
  let t: TestGateway;
  beforeAll(async () => {
    // Workers off: these tests look at intake alone, so queued signals stay queued.
    t = await startTestGateway({
      workers: false,
      config: { ingest: { maxBatch: 5, rateLimit: { perSecond: 1000, burst: 1000 } } },
    });
  });
  afterAll(async () => t?.close());

  it("accepts a valid signal with 202 once, and calls a repeat a duplicate", async () => {
    const first = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("once-1") });
    expect(first.status).toBe(202);
    expect(await first.json()).toEqual({ accepted: ["once-1"], duplicates: [] });
    expect(first.headers.get("x-request-id")).toBeTruthy();
    expect(first.headers.get("ratelimit-limit")).toBe("1000");

    const again = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("once-1") });
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ accepted: [], duplicates: ["once-1"] });
    expect(await t.running.gw.queue("signals").getJobCounts("waiting")).toMatchObject({ waiting: 1 });
    // The claim was confirmed once the job was stored.
    expect(await t.running.gw.redis.hget(keys.signal("platform-a", "once-1"), "status")).toBe("queued");
  });

  it("queues concurrent duplicates exactly once, across gateway processes", async () => {
    const second = await startTestGateway({
      workers: false,
      redis: t.redis,
      config: { ingest: { rateLimit: { perSecond: 1000, burst: 1000 } } },
    });
    try {
      const replies = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 ? second : t).call("POST", "/v1/signals", {
            key: testKeys.platform,
            body: withId("race-1"),
          }),
        ),
      );
      const bodies = await Promise.all(
        replies.map((r) => r.json() as Promise<{ accepted: string[]; duplicates: string[] }>),
      );
      expect(replies.every((r) => r.status === 202)).toBe(true);
      expect(bodies.filter((b) => b.accepted.includes("race-1"))).toHaveLength(1);
      expect(bodies.filter((b) => b.duplicates.includes("race-1"))).toHaveLength(19);
      const jobs = await t.running.gw.queue("signals").getJobs(["waiting"]);
      expect(jobs.filter((j) => j.data.signal.id === "race-1")).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it("accepts a batch as a whole and reports duplicates inside it", async () => {
    const counted = async (outcome: string) => {
      const text = await (await t.call("GET", "/metrics")).text();
      const line = text.match(
        new RegExp(
          `gigbridge_signals_total\\{platform="platform-a",type="worker.onboarded",outcome="${outcome}"\\} (\\d+)`,
        ),
      );
      return Number(line?.[1] ?? 0);
    };
    const before = { accepted: await counted("accepted"), duplicate: await counted("duplicate") };
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: { signals: [withId("b-1"), withId("b-2"), withId("b-1"), withId("once-1")] },
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: ["b-1", "b-2"], duplicates: ["b-1", "once-1"] });
    expect(await counted("accepted")).toBe(before.accepted + 2);
    expect(await counted("duplicate")).toBe(before.duplicate + 2);
  });

  it("queues the first of two signals with one id in a batch, and calls the second a duplicate", async () => {
    const first = { ...withId("twice-1"), data: { ...onboarded.data, stationId: "st-first" } };
    const second = { ...withId("twice-1"), data: { ...onboarded.data, stationId: "st-second" } };
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: { signals: [first, second] },
    });
    expect(await res.json()).toEqual({ accepted: ["twice-1"], duplicates: ["twice-1"] });
    const job = await t.running.gw.queue("signals").getJob(signalJobId("platform-a", "twice-1"));
    expect(job?.data.signal.data).toMatchObject({ stationId: "st-first" });
  });

  it("never calls a signal a duplicate while another request is still storing it", async () => {
    const redis = t.running.gw.redis;
    const key = keys.signal("platform-a", "held-1");
    // Another request has claimed the id and not stored it yet.
    await redis.hset(
      key,
      "status",
      "pending",
      "type",
      "worker.onboarded",
      "receivedAt",
      Date.now(),
      "claimedAt",
      Date.now(),
    );
    const stillHeld = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("held-1") });
    expect(stillHeld.status).toBe(503);
    expect(stillHeld.headers.get("retry-after")).toBe("1");

    // The other request stored it: a duplicate.
    await redis.hset(key, "status", "queued");
    const stored = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("held-1") });
    expect(await stored.json()).toEqual({ accepted: [], duplicates: ["held-1"] });

    // The other request failed and released its claim while this one waited: this one stores it.
    await redis.hset(keys.signal("platform-a", "held-2"), "status", "pending", "claimedAt", Date.now());
    const pending = t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("held-2") });
    await redis.del(keys.signal("platform-a", "held-2"));
    expect(await (await pending).json()).toEqual({ accepted: ["held-2"], duplicates: [] });
    expect(await t.running.gw.queue("signals").getJob(signalJobId("platform-a", "held-2"))).toBeDefined();
  });

  it("refuses a batch with an invalid item as a whole, naming it by JSON Pointer", async () => {
    const bad = { ...withId("bad-2"), data: { ...onboarded.data, regionCode: "990000" } };
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: { signals: [withId("ok-1"), bad] },
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await res.json()) as { type: string; errors: { pointer: string }[] };
    expect(problem.type).toBe("/problems/validation");
    expect(problem.errors.map((e) => e.pointer)).toContain("/signals/1/data/regionCode");
    // Both signals of the refused batch count as refused.
    const metrics = await (await t.call("GET", "/metrics")).text();
    expect(metrics).toMatch(
      /gigbridge_signals_total\{platform="platform-a",type="worker.onboarded",outcome="refused"\} 2/,
    );
    const status = await t.call("GET", "/v1/signals/ok-1", { key: testKeys.platform });
    expect(status.status).toBe(404);
  });

  it("refuses a batch over the configured size with 413", async () => {
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: { signals: Array.from({ length: 6 }, (_, i) => withId(`big-${i}`)) },
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { type: string }).type).toBe("/problems/batch_too_large");
  });

  it("answers 401 without a key, 401 for an unknown key and 403 for an org key", async () => {
    expect((await t.call("POST", "/v1/signals", { body: withId("x") })).status).toBe(401);
    expect((await t.call("POST", "/v1/signals", { key: "gb_pk_nope", body: withId("x") })).status).toBe(401);
    const forbidden = await t.call("POST", "/v1/signals", { key: testKeys.district, body: withId("x") });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("content-type")).toContain("application/problem+json");
  });

  it("answers 415 for non-JSON, 400 for broken JSON and 413 for a body over 1 MiB", async () => {
    const text = await t.call("POST", "/v1/signals", {
      key: testKeys.platform,
      body: "id=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(text.status).toBe(415);
    const broken = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: "{not json" });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { type: string }).type).toBe("/problems/malformed_json");
    const huge = await t.call("POST", "/v1/signals", {
      key: testKeys.platform,
      body: "x".repeat(1024 * 1024 + 1),
    });
    expect(huge.status).toBe(413);
  });

  it("counts a chunked body as it arrives: 413 with connection: close over 1 MiB, 415 when not JSON, 202 when fine", async () => {
    const chunked = (body: string[], contentType = "application/json") =>
      new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        const req = request(`${t.url}/v1/signals`, {
          method: "POST",
          headers: { authorization: `Bearer ${testKeys.platform}`, "content-type": contentType },
        });
        req.on("response", (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }),
          );
        });
        // The server may answer (and close) before the whole body is sent.
        req.on("error", reject);
        for (const part of body) req.write(part);
        req.end();
      });
    const json = JSON.stringify(withId("chunked-1"));
    const ok = await chunked([json.slice(0, 20), json.slice(20)]);
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body)).toEqual({ accepted: ["chunked-1"], duplicates: [] });
    const huge = await chunked(Array.from({ length: 17 }, () => " ".repeat(64 * 1024)));
    expect(huge.status).toBe(413);
    expect(huge.connection).toBe("close");
    expect((await chunked(["id=1"], "text/plain")).status).toBe(415);
  });

  it("refuses a body whose Content-Length is over the limit before reading it", async () => {
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: "x".repeat(2 * 1024 * 1024),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(413);
    expect(res.headers.get("connection")).toBe("close");
    expect(res.headers.get("content-type")).toContain("application/problem+json");
  });

  it("answers problem+json 404 and 405", async () => {
    const missing = await t.call("GET", "/v1/nowhere");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toContain("application/problem+json");
    const wrongMethod = await t.call("DELETE", "/v1/signals", { key: testKeys.platform });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toContain("POST");
    expect(wrongMethod.headers.get("content-type")).toContain("application/problem+json");
  });

  it("shows a platform its own signal's status and hides it from other platforms", async () => {
    const mine = await t.call("GET", "/v1/signals/once-1", { key: testKeys.platform });
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({
      id: "once-1",
      type: "worker.onboarded",
      status: "queued",
      tasks: [],
    });
    const theirs = await t.call("GET", "/v1/signals/once-1", { key: testKeys.otherPlatform });
    expect(theirs.status).toBe(404);
  });

  it("reports a signal whose marker expired and was written again by a late replay", async () => {
    await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("late-1") });
    const key = keys.signal("platform-a", "late-1");
    await t.running.gw.redis.del(key);
    await t.running.gw.redis.hset(key, "status", "processed", "processedAt", Date.now(), "tasks", "[]");
    const res = await t.call("GET", "/v1/signals/late-1", { key: testKeys.platform });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: "late-1", type: "worker.onboarded", status: "processed" });
  });

  it("never echoes personal data in a validation error", async () => {
    const bad = { ...withId("pii-1"), data: { ...onboarded.data, regionCode: "13800000000" } };
    const res = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: bad });
    expect(res.status).toBe(422);
    expect(await res.text()).not.toContain("13800000000");
  });
});

describe("rate limit", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      workers: false,
      config: { ingest: { rateLimit: { perSecond: 1, burst: 2 } } },
    });
  });
  afterAll(async () => t?.close());

  it("answers 429 with Retry-After and RateLimit headers once the bucket is empty, shared by gateway processes", async () => {
    const second = await startTestGateway({
      workers: false,
      redis: t.redis,
      config: { ingest: { rateLimit: { perSecond: 1, burst: 2 } } },
    });
    try {
      expect(
        (await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("r-1") })).status,
      ).toBe(202);
      expect(
        (await second.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("r-2") })).status,
      ).toBe(202);
      const limited = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("r-3") });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(limited.headers.get("ratelimit-remaining")).toBe("0");
      expect(limited.headers.get("ratelimit")).toMatch(/r=0/);
      expect(((await limited.json()) as { type: string }).type).toBe("/problems/rate_limited");
      // The other platform has its own bucket.
      expect(
        (await t.call("POST", "/v1/signals", { key: testKeys.otherPlatform, body: withId("r-3") })).status,
      ).toBe(202);
    } finally {
      await second.close();
    }
  });
});

describe("durability when Redis fails", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      workers: false,
      config: { ingest: { rateLimit: { perSecond: 10_000, burst: 10_000 } } },
    });
  });
  afterAll(async () => t?.close());

  it("answers 503 with Retry-After within 2 s while Redis is down, never a false 202, and recovers without restart", async () => {
    const sent: { id: string; status: number }[] = [];
    let n = 0;
    const send = async () => {
      const id = `dur-${n++}`;
      const res = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId(id) });
      sent.push({ id, status: res.status });
      return res;
    };
    for (let i = 0; i < 5; i++) expect((await send()).status).toBe(202);

    await t.redis.kill();
    const started = performance.now();
    const down = await send();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(down.status).toBe(503);
    expect(down.headers.get("retry-after")).toBeTruthy();
    expect((await t.call("GET", "/readyz")).status).toBe(503);

    await t.redis.restart();
    await waitFor(async () => (await t.call("GET", "/readyz")).status === 200, {
      description: "readyz back to 200",
    });
    await waitFor(async () => (await send()).status === 202, { description: "intake to accept again" });

    // Every 202 is in the queue after the restart (append-only file, fsync always in tests).
    const jobs = await t.running.gw.queue("signals").getJobs(["waiting"]);
    const queued = new Set(jobs.map((j) => j.data.signal.id));
    for (const s of sent.filter((x) => x.status === 202)) expect(queued.has(s.id)).toBe(true);
    // And nothing that was refused got queued.
    for (const s of sent.filter((x) => x.status === 503)) expect(queued.has(s.id)).toBe(false);
  });

  it("under load, answers 202 only for signals that are stored when Redis dies with requests in flight", async () => {
    await waitFor(async () => (await t.call("GET", "/readyz")).status === 200, { description: "Redis up" });
    // Singles and batches of 5, all sent at once; Redis is killed once the first answers are in.
    const requests = Array.from({ length: 160 }, (_, i) =>
      i % 4 === 0 ? Array.from({ length: 5 }, (_, j) => withId(`load-${i}-${j}`)) : [withId(`load-${i}`)],
    );
    const answered: { ids: string[]; status: number }[] = [];
    const post = async (signals: ReturnType<typeof withId>[]) => {
      const res =
        signals.length === 1
          ? await t.call("POST", "/v1/signals", { key: testKeys.platform, body: signals[0] })
          : await t.call("POST", "/v1/signals/batch", { key: testKeys.platform, body: { signals } });
      await res.arrayBuffer();
      answered.push({ ids: signals.map((x) => x.id), status: res.status });
    };
    const all = Promise.all(requests.map(post));
    await waitFor(() => answered.length >= 10, { description: "the first answers", intervalMs: 1 });
    await t.redis.kill();
    const inFlightAtKill = requests.length - answered.length;
    await all;
    await t.redis.restart();
    // Every connection is back (the queue's too) once intake accepts again.
    await waitFor(
      async () =>
        (await t.call("POST", "/v1/signals", { key: testKeys.platform, body: withId("after-load") }))
          .status === 202,
      { description: "intake to accept again" },
    );

    // The kill landed mid-load: some requests were accepted, some refused with 503, none failed otherwise.
    expect(inFlightAtKill).toBeGreaterThan(0);
    const statuses = new Set(answered.map((a) => a.status));
    expect([...statuses].sort(), `${inFlightAtKill} in flight at the kill`).toEqual([202, 503]);

    // Every signal answered 202 is in Redis after the restart: its job, and its idempotency marker
    // (`queued`, or still `pending` when the crash took the mark that follows the store: status reads
    // it as queued, and a re-send re-adds the same job id, a no-op).
    const queue = t.running.gw.queue("signals");
    const storedAs = async (id: string) => {
      const job = await queue.getJob(signalJobId("platform-a", id));
      const marker = await t.running.gw.redis.hget(keys.signal("platform-a", id), "status");
      return job?.data.signal.id === id && (marker === "queued" || marker === "pending") ? "stored" : "lost";
    };
    const accepted = answered.filter((a) => a.status === 202).flatMap((a) => a.ids);
    expect(accepted.length).toBeGreaterThan(0);
    const lost: string[] = [];
    for (const id of accepted) if ((await storedAs(id)) === "lost") lost.push(id);
    expect(lost).toEqual([]);
    for (const id of accepted) {
      const status = await t.call("GET", `/v1/signals/${id}`, { key: testKeys.platform });
      expect([status.status, ((await status.json()) as { status: string }).status], id).toEqual([
        200,
        "queued",
      ]);
    }

    // Nothing was stored that was not sent, and each signal is at most one job (its id is derived).
    const sent = new Set(requests.flat().map((x) => x.id));
    const jobs = (await queue.getJobs(["waiting"])).filter((j) => j.data.signal.id.startsWith("load-"));
    expect(jobs.every((j) => sent.has(j.data.signal.id))).toBe(true);
    expect(new Set(jobs.map((j) => j.data.signal.id)).size).toBe(jobs.length);
  });
});
