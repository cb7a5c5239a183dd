import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { type Signal, signalExamples, type Task } from "@gigbridge/schemas";
import { RedisCluster, waitFor } from "@gigbridge/testkit";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../packages/gateway/src/core/logger.js";
import { LogCapture, type ReceivedRequest, Receiver } from "../packages/gateway/src/delivery/testing.js";
import {
  dumpRedis,
  keysHolding,
  lifeOf,
  person,
  personalStrings,
} from "../packages/gateway/src/erasure/testing.js";
import type { Failure, Replay } from "../packages/gateway/src/ops/schemas.js";
import { ops, send, waitForFailed } from "../packages/gateway/src/ops/testing.js";
import {
  type GatewayUnderTest,
  startGatewayOn,
  testKeys,
} from "../packages/gateway/src/test-support/gateway.js";

/**
 * The whole pipeline on a real 3-master Redis Cluster: intake, processing, tasks, overdue checks,
 * webhook delivery, endpoint management, the operator console and the CLI. Signals of two
 * platforms about many workers, stations and orgs put keys in many slots on every master; a
 * cross-slot error anywhere (a reply, a failed job, a log line) fails the test.
 */

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "packages/gateway/dist/cli/main.js");
const CROSS_SLOT = /CROSSSLOT|same slot/i;
const URGENT_MS = 300;
const whsec = () => `whsec_${randomBytes(32).toString("base64")}`;
/** Every secret an endpoint in this test signs with. */
const secrets = [whsec(), whsec(), whsec()];

function declared(id: string, workerId: string, regionCode: string, stationId?: string): Signal {
  const example = signalExamples["membership.declared"];
  return {
    ...example,
    id,
    data: {
      workerId,
      politicalStatus: "member",
      homeOrganization: { name: "Home branch" },
      regionCode,
      ...(stationId ? { stationId } : {}),
      consent: { id: `c-${id}`, grantedAt: example.data.consent.grantedAt, scopes: ["share_membership"] },
    },
  } as Signal;
}

function appeal(id: string, workerId: string, regionCode: string, urgency: "urgent" | "normal"): Signal {
  const example = signalExamples["appeal.raised"];
  return { ...example, id, data: { ...example.data, workerId, regionCode, urgency } } as Signal;
}

function signal(type: keyof typeof signalExamples, id: string, data: Record<string, unknown>): Signal {
  const example = signalExamples[type];
  return { ...example, id, data } as Signal;
}

describe("the gateway on a Redis Cluster", () => {
  let cluster: RedisCluster;
  let receiver: Receiver;
  let gone: Receiver;
  let t: GatewayUnderTest;
  const logs = new LogCapture();

  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
    receiver = await Receiver.start();
    // Each message is refused once before it is taken, so retries and endpoint health run too.
    const seen = new Set<string>();
    receiver.reply = (request) => {
      const id = request.headers["webhook-id"] as string;
      if (seen.has(id)) return { status: 204 };
      seen.add(id);
      return { status: 503 };
    };
    gone = await Receiver.start();
    gone.reply = () => ({ status: 410 });
    t = await startGatewayOn(cluster.url, {
      logger: createLogger({ level: "info", destination: logs }),
      config: {
        endpoints: [
          { id: "street-a-hook", org: "street-a", url: receiver.url, secret: secrets[0] as string },
          { id: "district-hook", org: "district", url: receiver.url, secret: secrets[1] as string },
          {
            id: "street-a-gone",
            org: "street-a",
            url: gone.url,
            events: ["points.awarded"],
            secret: secrets[0] as string,
          },
        ],
        deadlines: { follow_up_appeal_urgent: URGENT_MS },
        ingest: { rateLimit: { perSecond: 10_000, burst: 10_000 } },
        retry: { schedule: [0, 20, 20], jitter: 0 },
      },
    });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    await receiver?.close();
    await gone?.close();
    await cluster?.destroy();
  });

  /** Fails at once, with the line, if the gateway logged a cross-slot error. */
  function noCrossSlot(): void {
    const line = logs.lines.map((l) => JSON.stringify(l)).find((l) => CROSS_SLOT.test(l));
    if (line) throw new Error(`cross-slot error in the gateway's logs: ${line}`);
  }

  function until<T>(check: () => T | Promise<T>, description: string) {
    return waitFor(
      async () => {
        noCrossSlot();
        return check();
      },
      { description },
    );
  }

  async function json<T>(response: Response, status: number): Promise<T> {
    const text = await response.text();
    expect(response.status, text).toBe(status);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  async function batch(key: string, signals: Signal[]) {
    const response = await t.call("POST", "/v1/signals/batch", { key, body: { signals } });
    return json<{ accepted: string[]; duplicates: string[] }>(response, 202);
  }

  async function statusOf(key: string, id: string) {
    const response = await t.call("GET", `/v1/signals/${encodeURIComponent(id)}`, { key });
    return json<{ status: string; tasks?: string[] }>(response, 200);
  }

  function processed(key: string, id: string) {
    return until(async () => {
      const s = await statusOf(key, id);
      return s.status === "queued" ? undefined : s;
    }, `signal ${id} to be processed`);
  }

  async function tasksOf(key: string, query = ""): Promise<Task[]> {
    return (await json<{ items: Task[] }>(await t.call("GET", `/v1/tasks${query}`, { key }), 200)).items;
  }

  /** Verified webhook payloads of a type, one per message id. */
  function deliveredOf(type: string, from: Receiver = receiver): Record<string, unknown>[] {
    const out = new Map<string, Record<string, unknown>>();
    for (const request of from.requests) {
      const body = JSON.parse(request.body) as { type: string; data: Record<string, unknown> };
      if (body.type !== type) continue;
      verify(request);
      out.set(request.headers["webhook-id"] as string, body.data);
    }
    return [...out.values()];
  }

  let streetA: Task[] = [];
  let streetB: Task[] = [];
  let district: Task[] = [];
  let apiEndpoint = "";

  it("is ready on the cluster, and an org manages an endpoint of its own there", async () => {
    expect(await json(await t.call("GET", "/readyz"), 200)).toMatchObject({ status: "ready", redis: "up" });
    const created = await json<{ id: string; secret: string }>(
      await t.call("POST", "/v1/endpoints", {
        key: testKeys.streetB,
        body: { url: receiver.url, description: "street B", secret: secrets[2] },
      }),
      201,
    );
    apiEndpoint = created.id;
    const patched = await t.call("PATCH", `/v1/endpoints/${apiEndpoint}`, {
      key: testKeys.streetB,
      body: { description: "street B, on the cluster" },
    });
    expect(await json(patched, 200)).toMatchObject({
      description: "street B, on the cluster",
      status: "enabled",
    });
    const listed = await json<{ items: { id: string }[] }>(
      await t.call("GET", "/v1/endpoints", { key: testKeys.streetB }),
      200,
    );
    expect(listed.items.map((e) => e.id)).toEqual([apiEndpoint]);
  });

  it("takes batches from two platforms and calls repeated ids duplicates", async () => {
    // Platform A: four full members at one station (R1 each, R6 once at three), two urgent appeals.
    const fromA = [
      declared("cl-a-1", "w-cl-1", "110105001", "st-cl-1"),
      declared("cl-a-2", "w-cl-2", "110105001", "st-cl-1"),
      declared("cl-a-3", "w-cl-3", "110105001", "st-cl-1"),
      declared("cl-a-4", "w-cl-4", "110105001", "st-cl-1"),
      appeal("cl-a-5", "w-cl-5", "110105002", "urgent"),
      appeal("cl-a-6", "w-cl-6", "110105002", "urgent"),
      signal("station.updated", "cl-a-st", {
        stationId: "st-cl-1",
        name: "Station 1",
        regionCode: "110105001",
        headcount: 12,
      }),
    ];
    // Platform B: members and appeals elsewhere in the tree; ids are per platform, so cl-a-1 is new here.
    const fromB = [
      declared("cl-a-1", "w-cl-1", "110105002"),
      declared("cl-b-2", "w-cl-2", "110105002"),
      appeal("cl-b-3", "w-cl-7", "110105", "normal"),
      appeal("cl-b-4", "w-cl-8", "110105001", "normal"),
    ];
    expect(await batch(testKeys.platform, fromA)).toEqual({
      accepted: fromA.map((s) => s.id),
      duplicates: [],
    });
    expect(await batch(testKeys.otherPlatform, fromB)).toEqual({
      accepted: fromB.map((s) => s.id),
      duplicates: [],
    });
    const again = [...fromA.slice(0, 3), appeal("cl-a-7", "w-cl-9", "110105001", "normal")];
    expect(await batch(testKeys.platform, again)).toEqual({
      accepted: ["cl-a-7"],
      duplicates: ["cl-a-1", "cl-a-2", "cl-a-3"],
    });
    expect(await batch(testKeys.otherPlatform, fromB)).toEqual({
      accepted: [],
      duplicates: fromB.map((s) => s.id),
    });

    for (const s of [...fromA, again[3] as Signal]) {
      expect(await processed(testKeys.platform, s.id), s.id).toMatchObject({ status: "processed" });
    }
    for (const s of fromB) {
      expect(await processed(testKeys.otherPlatform, s.id), s.id).toMatchObject({ status: "processed" });
    }
  });

  it("puts every task in the pull API of its org, with keys on every master", async () => {
    streetA = await tasksOf(testKeys.streetA);
    expect(streetA.map((task) => task.kind).sort()).toEqual([
      "establish_organization",
      "follow_up_appeal",
      "follow_up_appeal",
      "register_member",
      "register_member",
      "register_member",
      "register_member",
    ]);
    streetB = await tasksOf(testKeys.streetB);
    expect(streetB.map((task) => task.kind).sort()).toEqual([
      "follow_up_appeal",
      "follow_up_appeal",
      "register_member",
      "register_member",
    ]);
    district = await tasksOf(testKeys.district);
    expect(district).toHaveLength(streetA.length + streetB.length + 1);
    // The district's tasks page across three orgs' indexes (three slots).
    const first = await json<{ items: Task[]; nextCursor: string }>(
      await t.call("GET", "/v1/tasks?limit=5", { key: testKeys.district }),
      200,
    );
    const rest = await tasksOf(testKeys.district, `?cursor=${encodeURIComponent(first.nextCursor)}`);
    expect([...first.items, ...rest].map((task) => task.id).sort()).toEqual(district.map((x) => x.id).sort());

    const perMaster = await Promise.all(
      cluster.nodes.map(async (node) => {
        const client = cluster.nodeClient(node);
        try {
          return (await client.keys("*gb*")).length;
        } finally {
          client.disconnect();
        }
      }),
    );
    for (const count of perMaster) expect(count).toBeGreaterThan(0);
  });

  it("acknowledges a task, awards points, and follows workers who move and leave", async () => {
    const member = streetA.find(
      (task) => task.kind === "register_member" && task.signalId === "cl-a-1",
    ) as Task;
    const acked = await t.call("POST", `/v1/tasks/${member.id}/acknowledge`, { key: testKeys.streetA });
    expect(await json(acked, 200)).toMatchObject({ id: member.id, status: "acknowledged" });
    expect((await tasksOf(testKeys.streetA, "?status=acknowledged")).map((task) => task.id)).toEqual([
      member.id,
    ]);
    expect(await tasksOf(testKeys.streetA, "?status=open&kind=register_member")).toHaveLength(3);
    const again = await t.call("POST", `/v1/tasks/${member.id}/acknowledge`, { key: testKeys.streetA });
    expect(again.status).toBe(409);

    const moves = [
      signal("activity.completed", "cl-a-8", {
        workerId: "w-cl-1",
        kind: "volunteer",
        hours: 2,
        activityId: "act-cl-a-8",
      }),
      signal("worker.relocated", "cl-a-9", {
        workerId: "w-cl-2",
        from: { regionCode: "110105001", stationId: "st-cl-1" },
        to: { regionCode: "110105002", stationId: "st-cl-2" },
      }),
      signal("worker.offboarded", "cl-a-10", { workerId: "w-cl-3", reason: "resigned" }),
    ];
    await batch(testKeys.platform, moves);
    for (const s of moves) {
      expect(await processed(testKeys.platform, s.id), s.id).toMatchObject({ status: "processed" });
    }
    const ledger = await t.call("GET", `/v1/members/${member.subjectId}/points`, { key: testKeys.streetA });
    expect(await json(ledger, 200)).toMatchObject({ total: 1, entries: [{ activityId: "act-cl-a-8" }] });
  });

  it("raises urgent tasks that pass their deadline to their org and its parent", async () => {
    const urgent = streetB.filter((task) => task.kind === "follow_up_appeal");
    expect(urgent).toHaveLength(2);
    await until(async () => {
      const shown = await Promise.all(
        urgent.map(async (task) => {
          const r = await t.call("GET", `/v1/tasks/${task.id}`, { key: testKeys.streetB });
          return (await json<Task>(r, 200)).overdueAt;
        }),
      );
      return shown.every(Boolean);
    }, "the urgent appeals to be marked overdue");
    const overdue = await until(() => {
      const got = deliveredOf("task.overdue");
      return got.length === urgent.length * 2 ? got : undefined;
    }, "task.overdue for street B (owner) and the district (parent)");
    expect(overdue.map((d) => d.audience).sort()).toEqual([
      ...urgent.map(() => "owner"),
      ...urgent.map(() => "parent"),
    ]);
  });

  it("delivers every event signed, after a refused first attempt, to config and API endpoints", async () => {
    const createdFor = () => new Set(deliveredOf("task.created").map((d) => (d.task as Task).id));
    await until(
      () => district.every((task) => createdFor().has(task.id)),
      "task.created for every task at its org's endpoint",
    );
    await until(() => deliveredOf("task.updated").length >= 1, "task.updated");
    const attempts = await json<{ items: { status?: number }[] }>(
      await t.call("GET", "/v1/endpoints/street-a-hook/attempts", { key: testKeys.streetA }),
      200,
    );
    expect(attempts.items.map((a) => a.status)).toEqual(expect.arrayContaining([503, 204]));

    // The API endpoint's secret rotates; a test ping is signed with the new one (and the old).
    const rotated = await json<{ secret: string }>(
      await t.call("POST", `/v1/endpoints/${apiEndpoint}/rotate-secret`, { key: testKeys.streetB }),
      200,
    );
    secrets.push(rotated.secret);
    const ping = await t.call("POST", `/v1/endpoints/${apiEndpoint}/test`, { key: testKeys.streetB });
    expect(await json(ping, 200)).toMatchObject({ outcome: expect.any(String) });
    expect(deliveredOf("endpoint.ping")).toHaveLength(1);
  });

  it("disables an endpoint that answers 410; an operator enables it and replays what it refused", async () => {
    await until(() => deliveredOf("endpoint.disabled").length === 1, "endpoint.disabled at street A");
    await waitForFailed(t, "deliveries", 1);
    const [refused] = (
      await ops<{ items: Failure[] }>(t, "GET", "/v1/ops/failures?endpoint=street-a-gone", {
        key: testKeys.viewer,
      })
    ).body.items;
    expect(refused).toMatchObject({ org: "street-a", type: "points.awarded" });
    const shown = await ops(t, "GET", `/v1/ops/failures/${encodeURIComponent(refused?.id as string)}`);
    expect(shown.status).toBe(200);

    gone.reply = () => ({ status: 204 });
    expect((await ops(t, "POST", "/v1/ops/orgs/street-a/endpoints/street-a-gone/enable")).status).toBe(200);
    await replay({ ids: [refused?.id] }, 1);
    await until(() => deliveredOf("points.awarded", gone).length === 1, "points.awarded after the replay");
  });

  it("recovers a no_route signal after an operator adds the org", async () => {
    await send(t, [appeal("cl-a-11", "w-cl-10", "310115", "normal")]);
    await waitForFailed(t, "signals", 1);
    const failures = await ops<{ items: Failure[] }>(t, "GET", "/v1/ops/failures?reason=no_route", {
      key: testKeys.viewer,
    });
    expect(failures.body.items.map((f) => f.signalId)).toEqual(["cl-a-11"]);
    const org = {
      id: "pudong",
      code: "T-310115",
      name: "Pudong committee",
      kind: "district_committee",
      parent: null,
      regions: ["310115"],
    };
    expect((await ops(t, "POST", "/v1/ops/orgs", { body: org })).status).toBe(201);
    expect((await ops(t, "GET", "/v1/ops/orgs", { key: testKeys.viewer })).body).toMatchObject({
      items: expect.arrayContaining([expect.objectContaining({ id: "pudong" })]),
    });
    const dry = await ops(t, "POST", "/v1/ops/replays", {
      body: { filter: { reason: "no_route" }, dryRun: true },
    });
    expect(dry.body).toEqual({ dryRun: true, count: 1 });
    await replay({ filter: { reason: "no_route" } }, 1);
    // The replay finishes when the job is back in the queue; the status still reads failed until it runs.
    const replayed = await until(async () => {
      const s = await statusOf(testKeys.platform, "cl-a-11");
      return s.status === "processed" ? s : undefined;
    }, "the replayed signal to be processed");
    expect(replayed).toMatchObject({ status: "processed", tasks: [expect.any(String)] });
    const audit = await ops<{ items: { action: string }[] }>(t, "GET", "/v1/ops/audit");
    expect(audit.body.items.map((e) => e.action)).toEqual(expect.arrayContaining(["org.put", "replay"]));
  });

  it("stores keys made with the CLI where every gateway finds them", async () => {
    const env = { ...process.env, REDIS_URL: cluster.url };
    const key = (
      await promisify(execFile)(process.execPath, [cli, "keys", "create", "--org", "street-b"], { env })
    ).stdout.trim();
    expect(key).toMatch(/^gb_ok_/);
    expect((await t.call("GET", "/v1/tasks", { key })).status).toBe(200);
    const token = (
      await promisify(execFile)(process.execPath, [cli, "ops", "token", "create", "--role", "viewer"], {
        env,
      })
    ).stdout.trim();
    expect((await ops(t, "GET", "/v1/ops/audit", { key: token })).status).toBe(200);
  });

  it("deletes an API endpoint with its health and attempt log once its messages are out", async () => {
    const deliveries = t.running.gw.queue("deliveries");
    await until(async () => {
      const counts = await deliveries.getJobCounts("waiting", "delayed", "active", "prioritized");
      return Object.values(counts).every((n) => n === 0);
    }, "the deliveries queue to drain");
    const removed = await t.call("DELETE", `/v1/endpoints/${apiEndpoint}`, { key: testKeys.streetB });
    expect(removed.status).toBe(204);
    const listed = await json<{ items: unknown[] }>(
      await t.call("GET", "/v1/endpoints", { key: testKeys.streetB }),
      200,
    );
    expect(listed.items).toEqual([]);
  });

  it("erases a worker's personal data from every master; later signals are refused as erased", async () => {
    const p = person("cl");
    // A member with consented contact at a station, and an appeal (no points: an endpoint for them is gone).
    const life = lifeOf(p, "cl-er", "110105001", "st-cl-er").slice(0, 2);
    await batch(testKeys.platform, life);
    const taskIds = (await Promise.all(life.map((s) => processed(testKeys.platform, s.id))))
      .flatMap((s) => s.tasks ?? [])
      .sort();
    expect(taskIds).toHaveLength(2);
    const before = keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p));
    expect(before.size).toBeGreaterThan(3);

    const erasure = await json<{ id: string }>(
      await t.call("DELETE", `/v1/workers/${p.workerId}`, { key: testKeys.platform }),
      202,
    );
    await until(async () => {
      const r = await json<{ status: string }>(
        await t.call("GET", `/v1/erasures/${erasure.id}`, { key: testKeys.platform }),
        200,
      );
      return r.status === "completed";
    }, "the erasure to complete");
    const after = keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p));
    expect([...after.entries()]).toEqual([]);
    const kept = (await tasksOf(testKeys.streetA, "?limit=200")).filter((task) => taskIds.includes(task.id));
    expect(kept.map((task) => task.erasedAt !== undefined)).toEqual([true, true]);
    const notices = await until(
      () => deliveredOf("worker.erased").filter((d) => (d.taskIds as string[]).join() === taskIds.join()),
      "worker.erased delivered",
    );
    expect(notices).toHaveLength(1);

    const late = { ...(life[0] as Signal), id: "cl-er-late", occurredAt: "2099-01-01T00:00:00Z" } as Signal;
    await batch(testKeys.platform, [late]);
    const refused = await until(async () => {
      const s = await json<{ status: string; failure?: { reason: string } }>(
        await t.call("GET", "/v1/signals/cl-er-late", { key: testKeys.platform }),
        200,
      );
      return s.status === "queued" ? undefined : s;
    }, "the late signal to be refused");
    expect(refused).toMatchObject({ status: "failed", failure: { reason: "erased" } });
    expect(keysHolding(await dumpRedis(t.running.gw.redis), personalStrings(p)).size).toBe(0);
  });

  it("has no cross-slot error anywhere, nothing failed that was not meant to, and is still ready", async () => {
    expect(await json(await t.call("GET", "/readyz"), 200)).toMatchObject({ status: "ready" });
    const metrics = await t.call("GET", "/metrics");
    expect(await metrics.text()).toMatch(/queue="deliveries"/);
    const board = await t.call("GET", "/ops/queues/api/queues", { key: testKeys.viewer });
    expect(board.status).toBe(200);

    const gw = t.running.gw;
    for (const name of ["signals", "deliveries", "overdue", "replays", "erasures"] as const) {
      expect(await gw.queue(name).getFailedCount(), name).toBe(0);
    }
    const texts = await Promise.all(
      (["signals", "deliveries", "overdue", "replays", "erasures"] as const).map(async (name) =>
        (await gw.queue(name).getJobs(["failed", "completed", "delayed", "wait", "active"])).flatMap(
          (job) => [job?.failedReason ?? "", ...(job?.stacktrace ?? [])],
        ),
      ),
    );
    expect(texts.flat().filter((text) => CROSS_SLOT.test(text ?? ""))).toEqual([]);
    noCrossSlot();
    const errors = logs.lines.filter((line) => Number(line.level) >= 50);
    expect(errors).toEqual([]);
  });

  async function replay(body: unknown, done: number): Promise<void> {
    const started = await ops<{ id: string }>(t, "POST", "/v1/ops/replays", { body });
    expect(started.status).toBe(202);
    const finished = await until(async () => {
      const r = await ops<Replay>(t, "GET", `/v1/ops/replays/${started.body.id}`, { key: testKeys.viewer });
      return r.body.status === "completed" || r.body.status === "failed" ? r.body : undefined;
    }, "the replay to finish");
    expect(finished).toMatchObject({ status: "completed", done });
  }
});

/** Checks the Standard Webhooks signature against the secrets of this test's endpoints. */
function verify(request: ReceivedRequest): void {
  const headers = {
    "webhook-id": request.headers["webhook-id"] as string,
    "webhook-timestamp": request.headers["webhook-timestamp"] as string,
    "webhook-signature": request.headers["webhook-signature"] as string,
  };
  const ok = secrets.some((secret) => {
    try {
      new Webhook(secret).verify(request.body, headers);
      return true;
    } catch {
      return false;
    }
  });
  if (!ok) throw new Error(`a webhook with a bad signature: ${headers["webhook-id"]}`);
}

describe("the gateway on a Redis Cluster that loses a master", () => {
  let cluster: RedisCluster;
  let t: GatewayUnderTest;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
    // HTTP only: what matters here is how requests and /readyz behave.
    t = await startGatewayOn(cluster.url, { workers: false });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await cluster?.destroy();
  });

  it("says it is not ready, and fails fast for the keys it lost while the other masters keep serving", async () => {
    const lost = await cluster.nodeFor("gb:{p:platform-a}:rate");
    // The layout the test relies on: platform B's keys and the signals queue live elsewhere.
    expect((await cluster.nodeFor("gb:{p:platform-b}:rate")).port).not.toBe(lost.port);
    expect((await cluster.nodeFor("{gb:signals}:signals:id")).port).not.toBe(lost.port);
    expect((await t.call("GET", "/readyz")).status).toBe(200);

    await cluster.kill(lost);
    await waitFor(async () => (await t.call("GET", "/readyz")).status === 503, {
      description: "/readyz to say 503",
    });
    const example = signalExamples["appeal.raised"];
    const post = async (key: string, id: string) => {
      const started = Date.now();
      const response = await t.call("POST", "/v1/signals", { key, body: { ...example, id } });
      return {
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        ms: Date.now() - started,
      };
    };
    const refused = await post(testKeys.platform, "lost-1");
    expect(refused).toMatchObject({ status: 503, retryAfter: expect.any(String) });
    expect(refused.ms).toBeLessThan(2500);
    expect(await post(testKeys.otherPlatform, "kept-1")).toMatchObject({ status: 202 });
    // Still not ready once the client has dropped the dead node from its pool.
    expect((await t.call("GET", "/readyz")).status).toBe(503);
  });
});

describe("the gateway on a Redis Cluster that loses a master, at shutdown", () => {
  it("stops within its deadline even though a worker cannot finish closing", async () => {
    const cluster = await RedisCluster.start({ masters: 3 });
    try {
      const t = await startGatewayOn(cluster.url, { workerCloseMs: 500 });
      await waitFor(async () => (await t.call("GET", "/readyz")).status === 200, { description: "ready" });
      await cluster.kill(await cluster.nodeFor("{gb:signals}:signals:id"));
      const started = Date.now();
      await t.close();
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await cluster.destroy();
    }
  }, 60_000);
});
