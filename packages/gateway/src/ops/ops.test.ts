import { waitFor } from "@gigbridge/testkit";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { auditKey } from "./audit.js";
import { startReplayWorker } from "./replays.js";
import type { AuditEntry, Failure, FailureDetail, Replay } from "./schemas.js";
import {
  appeal,
  onboarded,
  ops,
  type StandInProcessor,
  send,
  startStandInProcessor,
  waitForFailed,
} from "./testing.js";

type Page = { items: Failure[]; nextCursor: string | null; next?: string | null };

/** Regions nobody in the test tree covers: signals there fail as `no_route` in the stand-in. */
const UNCOVERED = "310115";
const COVERED = "110105";

describe("operator console API (stand-in processing)", () => {
  let t: TestGateway;
  let processor: StandInProcessor;
  let replayWorker: { close(): Promise<void> };
  let routed: Set<string>;

  beforeAll(async () => {
    // Pipeline workers off: the stand-in below is the only consumer of `signals`.
    t = await startTestGateway({ workers: false });
    replayWorker = startReplayWorker(t.running.gw);
  });
  afterAll(async () => {
    await replayWorker?.close();
    await t?.close();
  });

  beforeEach(async () => {
    const redis = t.redis.client();
    await redis.flushall();
    redis.disconnect();
    routed = new Set([COVERED]);
    processor = startStandInProcessor(t, (job) => {
      const region = (job.data.signal.data as { regionCode?: string }).regionCode ?? "";
      if ([...routed].some((r) => region.startsWith(r))) return undefined;
      return job.data.signal.type === "appeal.raised"
        ? "no_route: no org covers the region"
        : "unknown_subject";
    });
  });
  afterEach(async () => processor.close());

  async function replayAndWait(body: unknown, key: string = testKeys.operator): Promise<Replay> {
    const started = await ops<{ id: string; status: string; total: number }>(t, "POST", "/v1/ops/replays", {
      key,
      body,
    });
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const r = await ops<Replay>(t, "GET", `/v1/ops/replays/${started.body.id}`);
        return r.body.status === "completed" || r.body.status === "failed" ? r.body : undefined;
      },
      { description: "the replay to finish" },
    );
  }

  it("documents every ops route in /openapi.json with the operator token scheme", async () => {
    const doc = (await (await t.call("GET", "/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown[] }>>;
    };
    for (const path of [
      "/v1/ops/failures",
      "/v1/ops/failures/{id}",
      "/v1/ops/replays",
      "/v1/ops/replays/{id}",
      "/v1/ops/audit",
      "/v1/ops/orgs",
      "/v1/ops/orgs/{orgId}/endpoints/{endpointId}/enable",
      "/v1/ops/orgs/{orgId}/endpoints/{endpointId}/attempts",
      "/v1/ops/messages/{id}/attempts",
    ]) {
      const operations = Object.values(doc.paths[path] ?? {});
      expect(operations.length, path).toBeGreaterThan(0);
      for (const op of operations) expect(op.security).toEqual([{ operatorToken: [] }]);
    }
    // Browsers reach the queue view with Basic credentials as well.
    expect(doc.paths["/ops/queues"]?.get?.security).toEqual([{ operatorToken: [] }, { operatorBasic: [] }]);
  });

  it("refuses without a token (401), with a platform key (403), and lets a viewer read", async () => {
    expect((await t.call("GET", "/v1/ops/failures")).status).toBe(401);
    expect((await t.call("GET", "/v1/ops/failures", { key: testKeys.platform })).status).toBe(403);
    expect((await t.call("GET", "/v1/ops/failures", { key: "gb_op_not_a_real_token" })).status).toBe(401);
    const viewer = await ops<Page>(t, "GET", "/v1/ops/failures", { key: testKeys.viewer });
    expect(viewer.status).toBe(200);
    expect(viewer.body).toEqual({ items: [], nextCursor: null, next: null });
  });

  it("lists failures by reason, platform, type and queue, and shows one with its attempts", async () => {
    await send(t, [appeal("a-1", UNCOVERED), appeal("a-2", UNCOVERED), onboarded("o-1", UNCOVERED)]);
    await send(t, [appeal("b-1", UNCOVERED)], testKeys.otherPlatform);
    await send(t, [appeal("fine-1", COVERED)]);
    await waitForFailed(t, "signals", 4);

    const byReason = await ops<Page>(t, "GET", "/v1/ops/failures?reason=no_route", { key: testKeys.viewer });
    expect(byReason.body.items.map((i) => i.signalId).sort()).toEqual(["a-1", "a-2", "b-1"]);
    expect(byReason.body.items[0]).toMatchObject({
      queue: "signals",
      reason: "no_route",
      type: "appeal.raised",
    });

    const byPlatform = await ops<Page>(t, "GET", "/v1/ops/failures?reason=no_route&platform=platform-b");
    expect(byPlatform.body.items.map((i) => i.signalId)).toEqual(["b-1"]);

    const byType = await ops<Page>(t, "GET", "/v1/ops/failures?type=worker.onboarded");
    expect(byType.body.items).toMatchObject([{ signalId: "o-1", reason: "unknown_subject" }]);

    // A delivery-only field rules the signals queue out.
    expect((await ops<Page>(t, "GET", "/v1/ops/failures?endpoint=x")).body.items).toEqual([]);
    expect((await ops<Page>(t, "GET", "/v1/ops/failures?queue=deliveries")).body.items).toEqual([]);
    const since = new Date(Date.now() + 60_000).toISOString();
    expect(
      (await ops<Page>(t, "GET", `/v1/ops/failures?since=${encodeURIComponent(since)}`)).body.items,
    ).toEqual([]);

    const one = byReason.body.items.find((i) => i.signalId === "b-1") as Failure;
    expect(one.id).toBe("signals:platform-b|b-1");
    const shown = await ops<FailureDetail>(t, "GET", `/v1/ops/failures/${encodeURIComponent(one.id)}`);
    expect(shown.status).toBe(200);
    expect(shown.body).toMatchObject({ id: one.id, platform: "platform-b", attempts: 1, reason: "no_route" });
    expect(shown.body.attemptLog).toEqual([
      { outcome: "failed", error: "no_route: no org covers the region" },
    ]);
    // The worker's own id and personal fields never reach the console.
    expect(JSON.stringify(shown.body)).not.toContain("w_");

    // A signal id with `:` (BullMQ job ids cannot hold one) survives the round trip through the path.
    await send(t, [appeal("ns:colon:1", UNCOVERED)]);
    await waitForFailed(t, "signals", 5);
    const colon = (await ops<Page>(t, "GET", "/v1/ops/failures?reason=no_route")).body.items.find(
      (i) => i.signalId === "ns:colon:1",
    ) as Failure;
    const colonShown = await ops<FailureDetail>(t, "GET", `/v1/ops/failures/${encodeURIComponent(colon.id)}`);
    expect(colonShown.body).toMatchObject({ id: colon.id, signalId: "ns:colon:1" });

    const missing = await ops(t, "GET", `/v1/ops/failures/${encodeURIComponent("signals:platform-a|nope")}`);
    expect(missing.status).toBe(404);
    expect((await ops(t, "GET", "/v1/ops/failures/bogus")).status).toBe(422);
    expect((await ops(t, "GET", "/v1/ops/failures?colour=red")).status).toBe(422);
  });

  it("pages through failures with a cursor, each exactly once, even when many fail in the same millisecond", async () => {
    const signals = Array.from({ length: 23 }, (_, i) =>
      appeal(`p-${String(i).padStart(2, "0")}`, UNCOVERED),
    );
    await send(t, signals);
    await waitForFailed(t, "signals", 23);
    // Give most failures one and the same time, as a burst would.
    const redis = t.redis.client();
    const key = t.running.gw.queue("signals").keys.failed as string;
    const ids = await redis.zrange(key, "0", "-1");
    for (const id of ids.slice(0, 17)) await redis.zadd(key, "XX", "1700000000000", id);
    redis.disconnect();

    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const query: string = next ? `&cursor=${next}` : "";
      const page = await ops<Page>(t, "GET", `/v1/ops/failures?limit=4${query}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.body.items.map((i) => i.signalId as string));
      next = page.body.nextCursor;
      pages += 1;
    } while (next && pages < 20);
    expect(seen.sort()).toEqual(signals.map((s) => s.id).sort());
    expect(new Set(seen).size).toBe(23);
    expect((await ops(t, "GET", "/v1/ops/failures?cursor=notacursor")).status).toBe(422);
  });

  it("counts with a dry run, replays by filter once, and a second replay replays nothing", async () => {
    await send(t, [appeal("r-1", UNCOVERED), appeal("r-2", UNCOVERED), onboarded("r-3", UNCOVERED)]);
    await waitForFailed(t, "signals", 3);

    const dry = await ops(t, "POST", "/v1/ops/replays", {
      body: { filter: { reason: "no_route" }, dryRun: true },
    });
    expect(dry).toEqual({ status: 200, body: { dryRun: true, count: 2 } });

    routed.add(UNCOVERED);
    const replay = await replayAndWait({ filter: { reason: "no_route" } });
    expect(replay).toMatchObject({
      status: "completed",
      total: 2,
      done: 2,
      skipped: 0,
      failed: 0,
      operator: "operator",
    });
    await waitFor(async () => (await t.running.gw.queue("signals").getCompletedCount()) === 2, {
      description: "the replayed signals to be processed",
    });
    expect(processor.runs.get("platform-a|r-1")).toBe(2);
    expect(processor.runs.get("platform-a|r-2")).toBe(2);
    expect(processor.runs.get("platform-a|r-3")).toBe(1);

    const again = await replayAndWait({ filter: { reason: "no_route" } });
    expect(again).toMatchObject({ status: "completed", total: 0, done: 0 });
    const byIds = await replayAndWait({ ids: ["signals:platform-a|r-1", "signals:platform-a|r-1"] });
    expect(byIds).toMatchObject({ status: "completed", total: 0, done: 0, skipped: 1 });
    expect(await t.running.gw.queue("signals").getWaitingCount()).toBe(0);
    expect(processor.runs.get("platform-a|r-1")).toBe(2);

    // The one that is still failed is still listed; the replayed ones are not.
    const left = await ops<Page>(t, "GET", "/v1/ops/failures");
    expect(left.body.items.map((i) => i.signalId)).toEqual(["r-3"]);

    const metrics = await (await t.call("GET", "/metrics")).text();
    expect(metrics).toMatch(/gigbridge_replays_total\{queue="signals",outcome="replayed"\} 2/);
    expect(metrics).toMatch(/gigbridge_replays_total\{queue="signals",outcome="not_failed"\} 1/);

    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit", { key: testKeys.viewer });
    const actions = audit.body.items.map((e) => [e.action, e.outcome, e.count]);
    expect(actions).toEqual([
      ["replay.finished", "completed", 0],
      ["replay", "accepted", 0],
      ["replay.finished", "completed", 0],
      ["replay", "accepted", 0],
      ["replay.finished", "completed", 2],
      ["replay", "accepted", 2],
      ["replay.dry_run", "counted", 2],
    ]);
    const accepted = audit.body.items[5] as AuditEntry;
    expect(accepted).toMatchObject({ operator: "operator", role: "operator", target: replay.id });
    expect(accepted.filter).toMatchObject({ reason: "no_route" });
    expect(accepted.filter?.until).toBeDefined();
    expect(audit.body.items[1]?.ids).toEqual(["signals:platform-a|r-1"]);
  });

  it("replays exactly the listed ids", async () => {
    await send(t, [appeal("i-1", UNCOVERED), appeal("i-2", UNCOVERED)]);
    await waitForFailed(t, "signals", 2);
    routed.add(UNCOVERED);
    const dry = await ops(t, "POST", "/v1/ops/replays", {
      body: { ids: ["signals:platform-a|i-2", "signals:platform-a|gone"], dryRun: true },
    });
    expect(dry.body).toEqual({ dryRun: true, count: 1 });
    const replay = await replayAndWait({ ids: ["signals:platform-a|i-2", "signals:platform-a|gone"] });
    expect(replay).toMatchObject({ total: 1, done: 1, skipped: 1, failed: 0 });
    await waitFor(() => processor.runs.get("platform-a|i-2") === 2, { description: "i-2 to run again" });
    expect(processor.runs.get("platform-a|i-1")).toBe(1);
    expect((await ops<Page>(t, "GET", "/v1/ops/failures")).body.items.map((i) => i.signalId)).toEqual([
      "i-1",
    ]);
  });

  it("refuses a viewer's replay with 403 and records the attempt", async () => {
    await send(t, [appeal("v-1", UNCOVERED)]);
    await waitForFailed(t, "signals", 1);
    const refused = await ops(t, "POST", "/v1/ops/replays", { key: testKeys.viewer, body: { filter: {} } });
    expect(refused.status).toBe(403);
    expect((await ops(t, "POST", "/v1/ops/replays", { key: "", body: { filter: {} } })).status).toBe(401);
    expect(await t.running.gw.queue("signals").getFailedCount()).toBe(1);
    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?operator=viewer");
    expect(audit.body.items).toMatchObject([
      { operator: "viewer", role: "viewer", action: "replay", outcome: "denied" },
    ]);
  });

  it("lets a viewer dry-run a replay, which counts and changes nothing", async () => {
    await send(t, [appeal("v-2", UNCOVERED)]);
    await waitForFailed(t, "signals", 1);
    const counted = await ops<{ dryRun: boolean; count: number }>(t, "POST", "/v1/ops/replays", {
      key: testKeys.viewer,
      body: { filter: {}, dryRun: true },
    });
    expect(counted.status).toBe(200);
    expect(counted.body).toEqual({ dryRun: true, count: 1 });
    expect(await t.running.gw.queue("signals").getFailedCount()).toBe(1);
    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?operator=viewer");
    expect(audit.body.items).toMatchObject([
      { operator: "viewer", role: "viewer", action: "replay.dry_run", outcome: "counted", count: 1 },
    ]);
  });

  it("refuses a replay request that gives neither or both of ids and filter", async () => {
    expect((await ops(t, "POST", "/v1/ops/replays", { body: {} })).status).toBe(422);
    expect(
      (await ops(t, "POST", "/v1/ops/replays", { body: { ids: ["signals:x"], filter: {} } })).status,
    ).toBe(422);
    const bad = await ops<{ errors: unknown[] }>(t, "POST", "/v1/ops/replays", { body: { ids: ["nope"] } });
    expect(bad.status).toBe(422);
    expect((await ops(t, "GET", "/v1/ops/replays/rpl_unknown")).status).toBe(404);
  });

  it("adds an org at run time (audited), refuses configured ids and unknown parents", async () => {
    const org = {
      id: "pudong",
      code: "T-310115",
      name: "Pudong committee",
      kind: "district_committee",
      parent: null,
      regions: [UNCOVERED],
    };
    expect((await ops(t, "POST", "/v1/ops/orgs", { key: testKeys.viewer, body: org })).status).toBe(403);
    const added = await ops(t, "POST", "/v1/ops/orgs", { body: org });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ id: "pudong", source: "runtime" });
    expect((await ops(t, "POST", "/v1/ops/orgs", { body: org })).status).toBe(200);
    expect((await ops(t, "POST", "/v1/ops/orgs", { body: { ...org, id: "district" } })).status).toBe(409);
    const orphan = await ops<{ errors: { pointer: string }[] }>(t, "POST", "/v1/ops/orgs", {
      body: { ...org, id: "orphan", parent: "nobody" },
    });
    expect(orphan.status).toBe(422);
    expect(orphan.body.errors).toEqual([expect.objectContaining({ pointer: "/parent" })]);

    const list = await ops<{ items: { id: string; source: string }[] }>(t, "GET", "/v1/ops/orgs", {
      key: testKeys.viewer,
    });
    expect(list.body.items.map((o) => [o.id, o.source])).toContainEqual(["pudong", "runtime"]);
    expect(list.body.items.map((o) => [o.id, o.source])).toContainEqual(["district", "config"]);
    expect(JSON.stringify(list.body)).not.toContain("keyHashes");
    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?action=org.put");
    expect(audit.body.items.map((e) => [e.operator, e.outcome, e.target])).toEqual([
      ["operator", "accepted", "pudong"],
      ["operator", "accepted", "pudong"],
      ["viewer", "denied", "pudong"],
    ]);
  });

  it("pages the audit log newest first", async () => {
    for (let i = 0; i < 5; i += 1) {
      await ops(t, "POST", "/v1/ops/replays", { body: { filter: {}, dryRun: true } });
    }
    const first = await ops<{ items: AuditEntry[]; nextCursor: string | null }>(
      t,
      "GET",
      "/v1/ops/audit?limit=3",
    );
    expect(first.body.items).toHaveLength(3);
    const second = await ops<{ items: AuditEntry[]; nextCursor: string | null }>(
      t,
      "GET",
      `/v1/ops/audit?limit=3&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items).toHaveLength(2);
    const ids = [...first.body.items, ...second.body.items].map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(new Set(ids).size).toBe(5);
    const redis = t.redis.client();
    expect(await redis.xlen(auditKey)).toBe(5);
    redis.disconnect();
  });
});

describe("audit retention", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ workers: false, config: { audit: { retention: 300 } } });
  });
  afterAll(async () => t?.close());

  it("hides entries older than audit.retention and trims them on the next write", async () => {
    await ops(t, "POST", "/v1/ops/replays", { body: { filter: {}, dryRun: true } });
    expect((await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit")).body.items).toHaveLength(1);
    await waitFor(
      async () => (await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit")).body.items.length === 0,
      {
        description: "the entry to pass its retention",
      },
    );
    const redis = t.redis.client();
    expect(await redis.xlen(auditKey)).toBe(1);
    await ops(t, "POST", "/v1/ops/replays", { body: { filter: {}, dryRun: true } });
    expect(await redis.xlen(auditKey)).toBe(1);
    redis.disconnect();
    expect((await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit")).body.items).toHaveLength(1);
  });
});
