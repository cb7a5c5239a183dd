import type { SignalInput, SignalStatus } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SignalWorker, startSignalWorker } from "../packages/gateway/src/processing/worker.js";
import {
  startTestGateway,
  type TestGateway,
  testKeys,
} from "../packages/gateway/src/test-support/gateway.js";

// Signals of one worker that arrive out of order, through the real gateway: HTTP batch intake,
// the signals queue, processing, the task store and the pull API, on a real redis-server.

const consent = {
  id: "c-order",
  grantedAt: "2026-11-01T08:00:00+08:00",
  scopes: ["share_membership" as const],
};

const onboarding = (id: string, workerId: string, regionCode: string, occurredAt: string): SignalInput => ({
  id,
  type: "worker.onboarded",
  occurredAt,
  data: {
    workerId,
    role: "rider",
    employment: "full_time",
    regionCode,
    politicalStatus: "member",
    homeOrganization: { name: "Home branch" },
    consent,
  },
});
const relocation = (
  id: string,
  workerId: string,
  from: string,
  to: string,
  occurredAt: string,
): SignalInput => ({
  id,
  type: "worker.relocated",
  occurredAt,
  data: { workerId, from: { regionCode: from }, to: { regionCode: to } },
});
const appeal = (id: string, workerId: string, regionCode: string, occurredAt: string): SignalInput => ({
  id,
  type: "appeal.raised",
  occurredAt,
  data: { workerId, category: "wages", urgency: "normal", summary: "Unpaid wages", regionCode },
});

async function send(t: TestGateway, signals: SignalInput[]): Promise<void> {
  const response = await t.call("POST", "/v1/signals/batch", { key: testKeys.platform, body: { signals } });
  expect(response.status).toBe(202);
}

async function settled(t: TestGateway, id: string): Promise<SignalStatus> {
  return waitFor(
    async () => {
      const status = (await (
        await t.call("GET", `/v1/signals/${id}`, { key: testKeys.platform })
      ).json()) as SignalStatus;
      return status.status === "queued" ? undefined : status;
    },
    { timeoutMs: 15_000, description: `signal ${id} to be processed` },
  );
}

async function tasksOf(
  t: TestGateway,
  key: string,
): Promise<{ kind: string; orgId: string; signalId: string }[]> {
  const response = await t.call("GET", "/v1/tasks?limit=100", { key });
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: { kind: string; orgId: string; signalId: string }[] }).items;
}

describe("one batch, newest signal first", () => {
  let t: TestGateway;
  let worker: SignalWorker | undefined;
  beforeAll(async () => {
    // No workers until the batch is stored, then one at a time: the queue's order is the batch's.
    t = await startTestGateway({ workers: false });
  });
  afterAll(async () => {
    await worker?.close();
    await t?.close();
  });

  it("routes the appeal to the org of the later place, and the stale onboarding moves nobody back", async () => {
    await send(t, [
      appeal("ord-appeal", "w-ord-1", "110105002", "2026-11-12T09:00:00+08:00"),
      relocation("ord-move", "w-ord-1", "110105001", "110105002", "2026-11-10T09:00:00+08:00"),
      onboarding("ord-onboard", "w-ord-1", "110105001", "2026-11-01T09:00:00+08:00"),
    ]);
    worker = startSignalWorker(t.running.gw, { concurrency: 1 });

    const onboarded = await settled(t, "ord-onboard");
    expect(onboarded).toMatchObject({ status: "processed", staleFacts: ["place"] });
    expect(onboarded.note).toContain("place");
    expect(await settled(t, "ord-move")).toMatchObject({ status: "processed", tasks: [] });
    expect((await settled(t, "ord-appeal")).status).toBe("processed");

    // Everything lands at street B, where the member works now: no task at street A, no transfer.
    const atB = await tasksOf(t, testKeys.streetB);
    expect(atB.map((task) => [task.kind, task.signalId]).sort()).toEqual([
      ["follow_up_appeal", "ord-appeal"],
      ["register_member", "ord-onboard"],
    ]);
    expect(await tasksOf(t, testKeys.streetA)).toEqual([]);

    // An appeal raised between the onboarding and the move, sent last, goes where the worker was then.
    await send(t, [appeal("ord-appeal-old", "w-ord-1", "110105", "2026-11-05T09:00:00+08:00")]);
    expect((await settled(t, "ord-appeal-old")).status).toBe("processed");
    expect((await tasksOf(t, testKeys.streetA)).map((task) => [task.kind, task.signalId])).toEqual([
      ["follow_up_appeal", "ord-appeal-old"],
    ]);
  });
});

describe("an operator replays an old failed signal after newer ones", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway();
  });
  afterAll(async () => t?.close());

  it("processes it, and the worker stays at the newer place", async () => {
    // Nobody covers Pudong yet: the onboarding fails no_route.
    await send(t, [onboarding("rp-onboard", "w-rp-1", "310115005", "2026-11-01T09:00:00+08:00")]);
    expect(await settled(t, "rp-onboard")).toMatchObject({
      status: "failed",
      failure: { reason: "no_route" },
    });
    await send(t, [relocation("rp-move", "w-rp-1", "310115005", "110105002", "2026-11-10T09:00:00+08:00")]);
    expect((await settled(t, "rp-move")).status).toBe("processed");

    const org = {
      id: "pudong",
      code: "T-310115",
      name: "Pudong committee",
      kind: "district_committee",
      parent: null,
      regions: ["310115"],
    };
    const ops = (path: string, body: unknown) => t.call("POST", path, { key: testKeys.operator, body });
    expect((await ops("/v1/ops/orgs", org)).status).toBe(201);
    expect((await ops("/v1/ops/replays", { filter: { reason: "no_route" } })).status).toBe(202);
    const replayed = await waitFor(
      async () => {
        const status = await settled(t, "rp-onboard");
        return status.status === "processed" ? status : undefined;
      },
      { timeoutMs: 15_000, description: "the replayed onboarding to be processed" },
    );
    expect(replayed.staleFacts).toEqual(["place"]);

    // Registered at street B, where the member works now; an appeal from the district goes there too.
    expect((await tasksOf(t, testKeys.streetB)).map((task) => [task.kind, task.signalId])).toEqual([
      ["register_member", "rp-onboard"],
    ]);
    await send(t, [appeal("rp-appeal", "w-rp-1", "110105", "2026-11-12T09:00:00+08:00")]);
    expect((await settled(t, "rp-appeal")).status).toBe("processed");
    expect((await tasksOf(t, testKeys.streetB)).map((task) => task.signalId).sort()).toEqual([
      "rp-appeal",
      "rp-onboard",
    ]);
  });
});
