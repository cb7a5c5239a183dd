import { randomBytes } from "node:crypto";
import {
  type EventType,
  gatewayConfigSchema,
  type Signal,
  type SignalStatus,
  type Task,
  taskListResponseSchema,
} from "@gigbridge/schemas";
import { RedisServer, waitFor } from "@gigbridge/testkit";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, type Gateway } from "../core/context.js";
import { hashKey } from "../core/credentials.js";
import { createLogger } from "../core/logger.js";
import type { DeliveryJobData } from "../delivery/outbox.js";
import { createApp } from "../http/app.js";
import { signalJobId } from "../ingest/intake.js";
import { consentAll, makeSignal, testOrgs } from "../rules/testing.js";
import { routeModules } from "../runtime/routes.js";
import { type OverdueWorker, startOverdueWorker } from "../tasks/overdue.js";
import { taskRoutes } from "../tasks/routes.js";
import { stageConfig } from "./testing.js";
import { type SignalWorker, startSignalWorker } from "./worker.js";

// Signal to task through the real gateway: HTTP intake, the signals queue, the processing worker,
// the task store, the delivery outbox and the pull API, on a real redis-server. Nothing delivers
// webhooks here, so every event the outbox accepted waits in the deliveries queue to be counted.

const platformKey = "gb_pk_pipeline_quickride_0000000000000";
const orgKey = (orgId: string) => `gb_ok_pipeline_${orgId.replaceAll("-", "_")}_00000000`;
const URGENT_MS = 400;

let redis: RedisServer;
let gw: Gateway;
let app: ReturnType<typeof createApp>;
let workers: (SignalWorker | OverdueWorker)[] = [];

beforeAll(async () => {
  redis = await RedisServer.start({ appendOnly: false });
  const config = gatewayConfigSchema.parse(
    stageConfig({
      platforms: [
        { id: "fastmeal", name: "Fastmeal" },
        { id: "quickride", name: "Quickride", keyHashes: [hashKey(platformKey)] },
      ],
      orgs: testOrgs.map((org) => ({ ...org, keyHashes: [hashKey(orgKey(org.id))] })),
      endpoints: testOrgs.map((org) => ({
        id: `${org.id}-hook`,
        org: org.id,
        url: `https://${org.id}.example/hooks`,
        secret: `whsec_${randomBytes(24).toString("base64")}`,
      })),
      deadlines: { follow_up_appeal_urgent: URGENT_MS },
    }),
  );
  gw = await createGateway({
    config,
    redisUrl: redis.url,
    masterKey: randomBytes(32),
    logger: createLogger({ level: process.env.LOG_LEVEL ?? "silent" }),
  });
  await waitFor(() => gw.redis.status === "ready", { timeoutMs: 5000, description: "Redis" });
  const routes = routeModules.includes(taskRoutes) ? routeModules : [...routeModules, taskRoutes];
  app = createApp(gw, { routes });
  workers = [startSignalWorker(gw), startOverdueWorker(gw)];
});

afterAll(async () => {
  for (const worker of workers) await worker.close();
  await gw?.close();
  await redis?.destroy();
});

function request(key: string, method: string, path: string, body?: unknown) {
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function signalStatus(id: string): Promise<SignalStatus> {
  return (await (await request(platformKey, "GET", `/v1/signals/${id}`)).json()) as SignalStatus;
}

/** Sends a signal as the platform and waits until processing has finished with it. */
async function send(signal: Signal): Promise<SignalStatus> {
  const response = await request(platformKey, "POST", "/v1/signals", signal);
  expect(response.status).toBe(202);
  let status: SignalStatus | undefined;
  await waitFor(
    async () => {
      status = await signalStatus(signal.id);
      return status.status !== "queued";
    },
    { timeoutMs: 10_000, description: `signal ${signal.id} to be processed` },
  );
  return status!;
}

async function tasksOf(orgId: string, query = ""): Promise<Task[]> {
  const response = await request(orgKey(orgId), "GET", `/v1/tasks${query}`);
  expect(response.status).toBe(200);
  return taskListResponseSchema.parse(await response.json()).items;
}

/** What the outbox queued for delivery, one entry per message. */
async function queuedEvents(type?: EventType): Promise<DeliveryJobData[]> {
  const jobs = await gw
    .queue("deliveries")
    .getJobs(["waiting", "delayed", "prioritized", "active", "completed", "failed"]);
  return jobs
    .filter((job): job is Job<DeliveryJobData> => job !== undefined)
    .map((job) => job.data)
    .filter((data) => type === undefined || data.type === type);
}

async function rerun(jobId: string, state: "completed" | "failed") {
  const job = await gw.queue("signals").getJob(jobId);
  expect(await job?.getState()).toBe(state);
  const finished = job!.finishedOn ?? 0;
  await job!.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
  await waitFor(
    async () => {
      const again = await gw.queue("signals").getJob(jobId);
      const now = await again?.getState();
      return (now === "completed" || now === "failed") && (again?.finishedOn ?? 0) > finished;
    },
    { timeoutMs: 10_000, description: `job ${jobId} to run again` },
  );
}

const declared = (id: string, workerId: string, data: Record<string, unknown> = {}) =>
  makeSignal(
    "membership.declared",
    { workerId, regionCode: "110105001", stationId: undefined, ...data },
    { id },
  );

describe("R1 to R7 from signal to task through the gateway", () => {
  let memberTask: Task;

  it("R1: a declared member becomes register_member for the covering org, with task.created queued", async () => {
    const status = await send(declared("e2e-r1", "w_r1"));
    expect(status.status).toBe("processed");
    expect(status.tasks).toHaveLength(1);
    const [task] = (await tasksOf("chaoyang-street")).filter((t) => t.id === status.tasks[0]);
    expect(task).toMatchObject({
      kind: "register_member",
      rule: "R1",
      status: "open",
      orgId: "chaoyang-street",
    });
    memberTask = task!;
    const created = (await queuedEvents("task.created")).filter(
      (e) => e.eventId && (e.data as { task: Task }).task.id === task!.id,
    );
    expect(created.map((e) => e.orgId)).toEqual(["chaoyang-street"]);
  });

  it("R2: a declared applicant becomes mentor_applicant", async () => {
    const status = await send(
      declared("e2e-r2", "w_r2", {
        politicalStatus: "applicant",
        homeOrganization: undefined,
        regionCode: "110105002",
      }),
    );
    expect((await tasksOf("chaoyang-district", "?kind=mentor_applicant")).map((t) => t.id)).toEqual(
      status.tasks,
    );
  });

  it("R3: a known member's move becomes transfer_relation for the receiving org and member.departed for the sending one", async () => {
    const move = makeSignal(
      "worker.relocated",
      { workerId: "w_r1", to: { regionCode: "310115005" } },
      { id: "e2e-r3" },
    );
    const status = await send(move);
    const [transfer] = await tasksOf("pudong-district", "?kind=transfer_relation");
    expect(transfer).toMatchObject({
      id: status.tasks[0],
      subjectId: memberTask.subjectId,
      details: { from: { orgId: "chaoyang-street" } },
    });
    const departed = await queuedEvents("member.departed");
    expect(departed.map((e) => [e.orgId, (e.data as { transferTaskId: string }).transferTaskId])).toEqual([
      ["chaoyang-street", transfer!.id],
    ]);
  });

  it("R4: a known member offboarded becomes update_roster for the org holding the member", async () => {
    const status = await send(
      makeSignal("worker.offboarded", { workerId: "w_r1", reason: "resigned" }, { id: "e2e-r4" }),
    );
    expect((await tasksOf("pudong-district", "?kind=update_roster")).map((t) => t.id)).toEqual(status.tasks);
  });

  it("R5: an appeal becomes follow_up_appeal due after the configured urgent deadline", async () => {
    const status = await send(
      makeSignal(
        "appeal.raised",
        { workerId: "w_r5", regionCode: "310115005", urgency: "urgent" },
        { id: "e2e-r5" },
      ),
    );
    const [task] = await tasksOf("pudong-district", "?kind=follow_up_appeal");
    expect(task?.id).toBe(status.tasks[0]);
    expect(Date.parse(task!.deadline) - Date.parse(task!.createdAt)).toBe(URGENT_MS);
  });

  it("R6: the third full member at a station becomes one establish_organization", async () => {
    const statuses = [];
    for (const w of ["w_s1", "w_s2", "w_s3", "w_s4"]) {
      statuses.push(await send(declared(`e2e-r6-${w}`, w, { stationId: "st_e2e" })));
    }
    const [establish] = await tasksOf("chaoyang-street", "?kind=establish_organization");
    expect(establish).toMatchObject({ stationId: "st_e2e", details: { memberCount: 3 } });
    expect(statuses.map((s) => s.tasks.includes(establish!.id))).toEqual([false, false, true, false]);
  });

  it("R7: a member's activity becomes a points entry, readable by the member's org, and points.awarded", async () => {
    const status = await send(
      declared("e2e-r7-declare", "w_r7", {
        contact: { name: "测试", phone: "13800000007" },
        consent: consentAll,
      }),
    );
    const [task] = (await tasksOf("chaoyang-street")).filter((t) => t.id === status.tasks[0]);
    await send(
      makeSignal(
        "activity.completed",
        { workerId: "w_r7", kind: "volunteer", hours: 3, activityId: "act_e2e" },
        { id: "e2e-r7" },
      ),
    );
    const response = await request(orgKey("chaoyang-street"), "GET", `/v1/members/${task!.subjectId}/points`);
    expect(await response.json()).toMatchObject({
      balance: 6,
      entries: [{ activityId: "act_e2e", points: 6 }],
    });
    const awarded = await queuedEvents("points.awarded");
    expect(awarded.map((e) => [e.orgId, (e.data as { balance: number }).balance])).toEqual([
      ["chaoyang-street", 6],
    ]);
  });
});

describe("replays and retries", () => {
  it("processing the same signal again yields the same tasks and queues no event twice", async () => {
    const status = await send(declared("e2e-twice", "w_twice"));
    const tasksBefore = await tasksOf("chaoyang-district");
    // Overdue checks of earlier tests' short deadlines may add events meanwhile; they are not this signal's.
    const messages = async () =>
      (await queuedEvents())
        .filter((e) => e.type !== "task.overdue")
        .map((e) => e.msgId)
        .sort();
    const before = await messages();
    await rerun(signalJobId("quickride", "e2e-twice"), "completed");
    expect(await signalStatus("e2e-twice")).toMatchObject({ status: "processed", tasks: status.tasks });
    expect(await tasksOf("chaoyang-district")).toEqual(tasksBefore);
    expect(await messages()).toEqual(before);
  });

  it("a no_route signal fails, then succeeds when replayed after an org covering its region is added", async () => {
    const signal = makeSignal(
      "appeal.raised",
      { workerId: "w_sz", regionCode: "440305" },
      { id: "e2e-no-route" },
    );
    const failed = await send(signal);
    expect(failed).toMatchObject({ status: "failed", failure: { reason: "no_route" } });
    const jobId = signalJobId("quickride", signal.id);
    expect((await gw.queue("signals").getJob(jobId))?.failedReason).toBe("no_route");

    await gw.orgs.put({ ...testOrgs[5]!, id: "nanshan-district", code: "NANSHAN", regions: ["440305"] });
    await rerun(jobId, "failed");
    const status = await signalStatus(signal.id);
    expect(status).toMatchObject({ status: "processed" });
    expect(status).not.toHaveProperty("failure");
    expect((await gw.queue("signals").getJob(jobId))?.returnvalue).toMatchObject({ tasks: status.tasks });
  });
});

describe("task.overdue", () => {
  it("is queued exactly once for the org and once for its parent, even when the check runs again", async () => {
    const status = await send(
      makeSignal(
        "appeal.raised",
        { workerId: "w_late", regionCode: "110105001", urgency: "urgent" },
        { id: "e2e-late" },
      ),
    );
    const taskId = status.tasks[0]!;
    const overdue = async () =>
      (await queuedEvents("task.overdue")).filter((e) => (e.data as { task: Task }).task.id === taskId);
    await waitFor(async () => (await overdue()).length >= 2, {
      timeoutMs: 10_000,
      description: "task.overdue",
    });

    const job = await gw.queue("overdue").getJob(taskId);
    await waitFor(async () => (await job?.getState()) === "completed", { timeoutMs: 5000 });
    const finished = (await gw.queue("overdue").getJob(taskId))!.finishedOn!;
    await job!.retry("completed");
    await waitFor(async () => ((await gw.queue("overdue").getJob(taskId))?.finishedOn ?? 0) > finished, {
      timeoutMs: 10_000,
      description: "the replayed overdue check",
    });
    expect((await overdue()).map((e) => [e.orgId, (e.data as { audience: string }).audience]).sort()).toEqual(
      [
        ["chaoyang-district", "parent"],
        ["chaoyang-street", "owner"],
      ],
    );
  });
});

describe("org isolation", () => {
  it("keeps an org out of tasks that are not its own or below it", async () => {
    const status = await send(
      makeSignal("appeal.raised", { workerId: "w_iso", regionCode: "110105001" }, { id: "e2e-iso" }),
    );
    const id = status.tasks[0]!;
    expect((await request(orgKey("pudong-district"), "GET", `/v1/tasks/${id}`)).status).toBe(404);
    expect((await request(orgKey("pudong-district"), "POST", `/v1/tasks/${id}/acknowledge`)).status).toBe(
      404,
    );
    expect((await tasksOf("pudong-district")).map((t) => t.id)).not.toContain(id);
    expect(
      (await request(orgKey("fastmeal-chaoyang"), "POST", `/v1/tasks/${id}/cancel`, { reason: "x" })).status,
    ).toBe(404);
    expect((await request(orgKey("chaoyang-district"), "POST", `/v1/tasks/${id}/acknowledge`)).status).toBe(
      200,
    );
    expect((await request(orgKey("chaoyang-street"), "POST", `/v1/tasks/${id}/acknowledge`)).status).toBe(
      409,
    );
  });
});
