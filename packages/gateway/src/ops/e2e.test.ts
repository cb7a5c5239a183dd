import { randomBytes } from "node:crypto";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Receiver } from "../delivery/testing.js";
import { getTask } from "../tasks/store.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import type {
  AuditEntry,
  EndpointAttempts,
  Failure,
  FailureDetail,
  MessageAttempts,
  Replay,
} from "./schemas.js";
import { appeal, ops, send, waitForFailed } from "./testing.js";

type Page = { items: Failure[]; nextCursor: string | null; next?: string | null };

/**
 * The whole path with the real pipeline: intake, processing, task creation,
 * webhook delivery to a real receiver, and the operator console recovering
 * what failed.
 */
describe("operator console end to end", () => {
  let t: TestGateway;
  let receiver: Receiver;
  const endpoint = "street-a-oa";

  beforeAll(async () => {
    receiver = await Receiver.start();
    t = await startTestGateway({
      config: {
        endpoints: [
          {
            id: endpoint,
            org: "street-a",
            url: receiver.url,
            secret: `whsec_${randomBytes(32).toString("base64")}`,
          },
        ],
        retry: { schedule: [0, 20, 20], jitter: 0 },
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  async function replay(body: unknown): Promise<Replay> {
    const started = await ops<{ id: string }>(t, "POST", "/v1/ops/replays", { body });
    expect(started.status).toBe(202);
    return waitFor(
      async () => {
        const r = await ops<Replay>(t, "GET", `/v1/ops/replays/${started.body.id}`, { key: testKeys.viewer });
        return r.body.status === "completed" || r.body.status === "failed" ? r.body : undefined;
      },
      { description: "the replay to finish" },
    );
  }

  const webhookIds = (from = 0) =>
    receiver.requests.slice(from).map((r) => r.headers["webhook-id"] as string);

  it("recovers deliveries whose retries ran out: list by endpoint, dry run, replay; each message arrives once", async () => {
    receiver.reply = () => ({ status: 500 });
    await send(t, [appeal("e2e-d-1", "110105001"), appeal("e2e-d-2", "110105001")]);
    await waitForFailed(t, "deliveries", 2);

    const listed = await ops<Page>(t, "GET", `/v1/ops/failures?endpoint=${endpoint}`, {
      key: testKeys.viewer,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(2);
    for (const item of listed.body.items) {
      expect(item).toMatchObject({
        queue: "deliveries",
        reason: "retries_exhausted",
        org: "street-a",
        endpoint,
        type: "task.created",
        attempts: 3,
      });
    }
    const messageIds = listed.body.items.map((i) => i.messageId as string).sort();
    expect(new Set(webhookIds()).size).toBe(2);
    expect(webhookIds()).toHaveLength(6);

    const first = listed.body.items[0] as Failure;
    const shown = await ops<FailureDetail>(t, "GET", `/v1/ops/failures/${encodeURIComponent(first.id)}`);
    expect(shown.body.attemptLog.map((a) => a.status)).toEqual([500, 500, 500]);

    // A viewer may look but not replay; without a token nothing at all.
    const byViewer = await ops(t, "POST", "/v1/ops/replays", {
      key: testKeys.viewer,
      body: { filter: { endpoint } },
    });
    expect(byViewer.status).toBe(403);
    expect((await t.call("POST", "/v1/ops/replays", { body: { filter: { endpoint } } })).status).toBe(401);

    const dry = await ops(t, "POST", "/v1/ops/replays", {
      body: { filter: { endpointId: endpoint }, dryRun: true },
    });
    expect(dry.body).toEqual({ dryRun: true, count: 2 });

    receiver.reply = () => ({ status: 204 });
    const before = receiver.requests.length;
    const done = await replay({ filter: { endpoint } });
    expect(done).toMatchObject({ status: "completed", total: 2, done: 2, skipped: 0, failed: 0 });
    await waitFor(async () => (await t.running.gw.queue("deliveries").getCompletedCount()) === 2, {
      description: "both messages delivered",
    });
    // The same webhook-id as before the replay, each exactly once.
    expect(webhookIds(before).sort()).toEqual(messageIds);

    const again = await replay({ filter: { endpoint } });
    expect(again).toMatchObject({ total: 0, done: 0 });
    const byIds = await replay({ ids: listed.body.items.map((i) => i.id) });
    expect(byIds).toMatchObject({ total: 0, done: 0, skipped: 2 });
    const counts = await t.running.gw
      .queue("deliveries")
      .getJobCounts("waiting", "delayed", "active", "failed");
    expect(counts).toEqual({ waiting: 0, delayed: 0, active: 0, failed: 0 });
    expect(webhookIds(before)).toHaveLength(2);
    expect((await ops<Page>(t, "GET", `/v1/ops/failures?endpoint=${endpoint}`)).body.items).toEqual([]);

    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?action=replay", {
      key: testKeys.viewer,
    });
    expect(audit.body.items.map((e) => [e.operator, e.outcome, e.count])).toEqual([
      ["operator", "accepted", 0],
      ["operator", "accepted", 0],
      ["operator", "accepted", 2],
      ["viewer", "denied", 0],
    ]);
    expect(audit.body.items[2]?.filter).toMatchObject({ endpointId: endpoint });
    expect(audit.body.items[2]?.target).toBe(done.id);
  });

  it("recovers no_route: the operator adds an org, replays by reason, and the tasks appear once", async () => {
    receiver.reply = () => ({ status: 204 });
    await send(t, [appeal("e2e-n-1", "310115"), appeal("e2e-n-2", "310115001")]);
    await waitForFailed(t, "signals", 2);
    const listed = await ops<Page>(t, "GET", "/v1/ops/failures?reason=no_route", { key: testKeys.viewer });
    expect(listed.body.items.map((i) => i.signalId).sort()).toEqual(["e2e-n-1", "e2e-n-2"]);
    const shown = await ops<FailureDetail>(
      t,
      "GET",
      `/v1/ops/failures/${encodeURIComponent("signals:platform-a|e2e-n-1")}`,
    );
    expect(shown.body.error).toMatch(/^no_route: .*310115/);

    const org = {
      id: "pudong",
      code: "T-310115",
      name: "Pudong committee",
      kind: "district_committee",
      parent: null,
      regions: ["310115"],
    };
    expect((await ops(t, "POST", "/v1/ops/orgs", { body: org })).status).toBe(201);
    const dry = await ops(t, "POST", "/v1/ops/replays", {
      body: { filter: { reason: "no_route" }, dryRun: true },
    });
    expect(dry.body).toEqual({ dryRun: true, count: 2 });
    expect(await replay({ filter: { reason: "no_route" } })).toMatchObject({ status: "completed", done: 2 });

    const tasksOf = async (id: string) => {
      const r = await t.call("GET", `/v1/signals/${id}`, { key: testKeys.platform });
      const status = (await r.json()) as { status: string; tasks: string[] };
      return status.status === "processed" ? status.tasks : undefined;
    };
    const tasks1 = await waitFor(() => tasksOf("e2e-n-1"), { description: "e2e-n-1 processed" });
    const tasks2 = await waitFor(() => tasksOf("e2e-n-2"), { description: "e2e-n-2 processed" });
    expect(tasks1).toHaveLength(1);
    expect(tasks2).toHaveLength(1);
    const task = await getTask(t.running.gw.redis, tasks1[0] as string);
    expect(task).toMatchObject({ task: { orgId: "pudong", kind: "follow_up_appeal" } });

    // Replaying again finds nothing failed and creates nothing.
    expect(await replay({ filter: { reason: "no_route" } })).toMatchObject({ total: 0, done: 0 });
    expect(await replay({ ids: ["signals:platform-a|e2e-n-1"] })).toMatchObject({ done: 0, skipped: 1 });
    expect(await tasksOf("e2e-n-1")).toEqual(tasks1);
    expect(await t.running.gw.queue("signals").getFailedCount()).toBe(0);

    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?limit=20");
    const actions = audit.body.items.map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toContain("org.put:accepted");
    const replayed = audit.body.items.find((e) => e.action === "replay" && e.count === 2 && e.filter?.reason);
    expect(replayed).toMatchObject({ operator: "operator", filter: { reason: "no_route" } });
  });

  it("re-enables an endpoint the receiver turned off (410), then replays what it refused", async () => {
    receiver.reply = () => ({ status: 410 });
    const before = receiver.requests.length;
    await send(t, [appeal("e2e-g-1", "110105001")]);
    await waitForFailed(t, "deliveries", 1);
    const [gone] = (await ops<Page>(t, "GET", "/v1/ops/failures?reason=endpoint_disabled")).body.items;
    expect(gone).toMatchObject({ endpoint, org: "street-a" });

    const path = `/v1/ops/orgs/street-a/endpoints/${endpoint}/enable`;
    expect((await ops(t, "POST", path, { key: testKeys.viewer })).status).toBe(403);
    expect((await ops(t, "POST", "/v1/ops/orgs/street-a/endpoints/nope/enable")).status).toBe(404);

    receiver.reply = () => ({ status: 204 });
    expect(await ops(t, "POST", path)).toEqual({
      status: 200,
      body: { orgId: "street-a", endpointId: endpoint, enabled: true, org: "street-a", endpoint },
    });
    expect(await replay({ filter: { reason: "endpoint_disabled" } })).toMatchObject({ done: 1 });
    await waitFor(() => receiver.requests.length === before + 2, { description: "the replayed message" });
    expect(webhookIds(before)).toEqual([gone?.messageId, gone?.messageId]);
    await waitForFailed(t, "deliveries", 0);

    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit?action=endpoint.enable");
    expect(audit.body.items.map((e) => [e.operator, e.outcome, e.target])).toEqual([
      ["operator", "accepted", `street-a/${endpoint}`],
      ["viewer", "denied", `street-a/${endpoint}`],
    ]);
  });

  it("reads any message's attempts (delivered, failed, retrying) and an endpoint's, without response bodies", async () => {
    const secret = "receiver-private-body";
    const attemptsOf = (id: string, query = "", key = testKeys.viewer) =>
      ops<MessageAttempts>(t, "GET", `/v1/ops/messages/${id}/attempts${query}`, { key });

    receiver.reply = () => ({ status: 200, body: secret });
    let before = receiver.requests.length;
    await send(t, [appeal("e2e-a-1", "110105001")]);
    await waitFor(() => receiver.requests.length === before + 1, { description: "the delivery" });
    const delivered = webhookIds(before)[0] as string;
    await waitFor(async () => (await attemptsOf(delivered)).body.state === "delivered", {
      description: "the message to read as delivered",
    });
    const read = await attemptsOf(delivered);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({
      messageId: delivered,
      orgId: "street-a",
      endpointId: endpoint,
      type: "task.created",
      nextCursor: null,
    });
    expect(read.body.items.map((a) => [a.attempt, a.outcome, a.status])).toEqual([[1, "success", 200]]);
    expect(JSON.stringify(read.body)).not.toContain(secret);

    receiver.reply = () => ({ status: 500, body: secret });
    before = receiver.requests.length;
    await send(t, [appeal("e2e-a-2", "110105001")]);
    await waitForFailed(t, "deliveries", 1);
    const failed = webhookIds(before)[0] as string;
    const failedRead = await attemptsOf(failed);
    expect(failedRead.body.state).toBe("failed");
    // Newest first, like every attempt list.
    expect(failedRead.body.items.map((a) => [a.attempt, a.outcome, a.status])).toEqual([
      [3, "retry", 500],
      [2, "retry", 500],
      [1, "retry", 500],
    ]);
    // The failures view shows the same attempts (oldest first, as a log), redacted the same way.
    const shown = await ops<FailureDetail>(t, "GET", `/v1/ops/failures/deliveries:${failed}`);
    expect(shown.body.attemptLog.map((a) => [a.attempt, a.outcome, a.status, a.error])).toEqual(
      failedRead.body.items.map((a) => [a.attempt, a.outcome, a.status, a.error]).reverse(),
    );

    // A Retry-After far ahead holds the message between attempts: retrying, not failed.
    receiver.reply = () => ({ status: 503, headers: { "retry-after": "3600" }, body: secret });
    before = receiver.requests.length;
    await send(t, [appeal("e2e-a-3", "110105001")]);
    await waitFor(() => receiver.requests.length === before + 1, { description: "the first attempt" });
    const retrying = webhookIds(before)[0] as string;
    await waitFor(async () => (await attemptsOf(retrying)).body.state === "retrying", {
      description: "the message to read as retrying",
    });
    expect((await attemptsOf(retrying)).body.items.map((a) => [a.outcome, a.status])).toEqual([
      ["retry", 503],
    ]);

    const byEndpoint = await ops<EndpointAttempts>(
      t,
      "GET",
      `/v1/ops/orgs/street-a/endpoints/${endpoint}/attempts?limit=5`,
      { key: testKeys.viewer },
    );
    expect(byEndpoint.status).toBe(200);
    expect(byEndpoint.body.items.map((a) => [a.messageId, a.status])).toEqual([
      [retrying, 503],
      [failed, 500],
      [failed, 500],
      [failed, 500],
      [delivered, 200],
    ]);
    expect(JSON.stringify(byEndpoint.body)).not.toContain(secret);

    // Once the job is gone only the log remains: it needs the org, and the right one.
    await t.running.gw.queue("deliveries").remove(delivered);
    expect((await attemptsOf(delivered)).status).toBe(404);
    const removed = await attemptsOf(delivered, "?orgId=street-a");
    expect(removed.body).toMatchObject({ state: "removed", orgId: "street-a", endpointId: endpoint });
    expect(removed.body.items).toHaveLength(1);
    expect((await attemptsOf(delivered, "?org=street-b")).status).toBe(404);
    expect((await attemptsOf(failed, "?org=street-b")).status).toBe(404);
    expect((await attemptsOf("msg_0000")).status).toBe(404);
    expect((await attemptsOf("not-a-message")).status).toBe(422);
    expect((await ops(t, "GET", "/v1/ops/orgs/street-a/endpoints/nope/attempts")).status).toBe(404);
    expect((await t.call("GET", `/v1/ops/messages/${delivered}/attempts`)).status).toBe(401);
  });
});
