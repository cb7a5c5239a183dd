import { type EventData, type Task, taskListResponseSchema, taskSchema } from "@gigbridge/schemas";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashKey } from "../core/credentials.js";
import { createApp } from "../http/app.js";
import { processSignal } from "../processing/process.js";
import { type StageHarness, startStageHarness } from "../processing/testing.js";
import { makeSignal, testOrgs } from "../rules/testing.js";
import { taskRoutes } from "./routes.js";

const keyOf = (orgId: string) => `gb_ok_test_${orgId.replaceAll("-", "_")}_000000000000`;

let h: StageHarness;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  h = await startStageHarness({
    config: { orgs: testOrgs.map((o) => ({ ...o, keyHashes: [hashKey(keyOf(o.id))] })) },
  });
  app = createApp(h.gw, { routes: [(gw) => taskRoutes(gw, { emit: h.emit })] });
});
afterAll(async () => h?.close());
beforeEach(async () => {
  await h.gw.redis.flushall();
  h.emitted.length = 0;
});

function call(org: string, method: string, path: string, body?: unknown) {
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${keyOf(org)}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function appeal(id: string, regionCode: string, platformId = "quickride"): Promise<string> {
  const signal = makeSignal("appeal.raised", { regionCode }, { id });
  h.clock.now += 1000;
  const { tasks } = await processSignal(
    h.gw,
    { platformId, signal, receivedAt: h.clock.now },
    { emit: h.emit },
  );
  return tasks[0]!;
}

async function list(org: string, query = ""): Promise<{ items: Task[]; nextCursor: string | null }> {
  const response = await call(org, "GET", `/v1/tasks${query}`);
  expect(response.status).toBe(200);
  return taskListResponseSchema.parse(await response.json());
}

describe("GET /v1/tasks", () => {
  it("shows an org its own tasks and those of the orgs below it, never others'", async () => {
    const street = await appeal("s1", "110105001");
    const district = await appeal("s2", "110105002");
    const platform = await appeal("s3", "110105", "fastmeal");
    const pudong = await appeal("s4", "310115005");

    const ids = async (org: string) => (await list(org)).items.map((t) => t.id);
    expect(await ids("bj-committee")).toEqual([street, district, platform]);
    expect(await ids("chaoyang-district")).toEqual([street, district, platform]);
    expect(await ids("chaoyang-street")).toEqual([street]);
    expect(await ids("fastmeal-chaoyang")).toEqual([platform]);
    expect(await ids("pudong-district")).toEqual([pudong]);
    expect(await ids("fastmeal-st07-group")).toEqual([]);
  });

  it("filters by status and kind and pages with a cursor", async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await appeal(`p${i}`, "110105001"));
    await call("chaoyang-street", "POST", `/v1/tasks/${made[1]}/acknowledge`);

    const seen: string[] = [];
    let query = "?limit=2&status=open&kind=follow_up_appeal";
    for (let pages = 0; pages < 10; pages++) {
      const page = await list("chaoyang-district", query);
      seen.push(...page.items.map((t) => t.id));
      if (!page.nextCursor) break;
      query = `?limit=2&status=open&kind=follow_up_appeal&cursor=${page.nextCursor}`;
    }
    expect(seen).toEqual([made[0], made[2], made[3], made[4]]);
    expect((await list("chaoyang-district", "?status=acknowledged")).items.map((t) => t.id)).toEqual([
      made[1],
    ]);
    expect((await list("chaoyang-district", "?kind=register_member")).items).toEqual([]);
  });

  it("refuses a forged cursor and an unknown status with 422 problem+json", async () => {
    for (const query of ["?cursor=bm90LWEtY3Vyc29y", "?status=done", "?limit=0"]) {
      const response = await call("chaoyang-street", "GET", `/v1/tasks${query}`);
      expect(response.status).toBe(422);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
    }
  });

  it("needs an org key", async () => {
    expect((await app.request("/v1/tasks")).status).toBe(401);
  });
});

describe("task lifecycle over HTTP", () => {
  it("acknowledges, completes with a note, and emits task.updated each time", async () => {
    const id = await appeal("a1", "110105001");
    const ack = await call("chaoyang-street", "POST", `/v1/tasks/${id}/acknowledge`);
    expect(ack.status).toBe(200);
    expect(taskSchema.parse(await ack.json())).toMatchObject({
      status: "acknowledged",
      acknowledgedAt: expect.any(String),
    });

    const done = await call("chaoyang-street", "POST", `/v1/tasks/${id}/complete`, {
      note: "已电话联系并协调解决",
    });
    expect(await done.json()).toMatchObject({ status: "completed", note: "已电话联系并协调解决" });

    const got = await call("chaoyang-street", "GET", `/v1/tasks/${id}`);
    expect(await got.json()).toMatchObject({ id, status: "completed" });

    const updates = h.sent().filter((e) => e.type === "task.updated");
    expect(
      updates.map((e) => [
        e.orgId,
        (e.data as EventData<"task.updated">).previousStatus,
        (e.data as EventData<"task.updated">).task.status,
      ]),
    ).toEqual([
      ["chaoyang-street", "open", "acknowledged"],
      ["chaoyang-street", "acknowledged", "completed"],
    ]);
  });

  it("answers 409 problem+json to an illegal transition and changes nothing", async () => {
    const id = await appeal("a2", "110105001");
    expect(
      (await call("chaoyang-street", "POST", `/v1/tasks/${id}/cancel`, { reason: "重复诉求" })).status,
    ).toBe(200);
    for (const [action, body] of [
      ["acknowledge", undefined],
      ["complete", { note: "x" }],
      ["cancel", { reason: "again" }],
    ] as const) {
      const response = await call("chaoyang-street", "POST", `/v1/tasks/${id}/${action}`, body);
      expect(response.status).toBe(409);
      expect(response.headers.get("content-type")).toContain("application/problem+json");
      expect(await response.json()).toMatchObject({
        type: "/problems/illegal_transition",
        status: 409,
        taskStatus: "cancelled",
      });
    }
    expect(h.sent().filter((e) => e.type === "task.updated")).toHaveLength(1);
  });

  it("needs a note to complete and a reason to cancel", async () => {
    const id = await appeal("a3", "110105001");
    expect((await call("chaoyang-street", "POST", `/v1/tasks/${id}/complete`, {})).status).toBe(422);
    expect((await call("chaoyang-street", "POST", `/v1/tasks/${id}/cancel`, { reason: "" })).status).toBe(
      422,
    );
  });

  it("lets an org above change a task below it, and nobody else see or change it", async () => {
    const id = await appeal("a4", "110105001");
    for (const outsider of ["pudong-district", "fastmeal-chaoyang"]) {
      expect((await call(outsider, "GET", `/v1/tasks/${id}`)).status).toBe(404);
      expect((await call(outsider, "POST", `/v1/tasks/${id}/acknowledge`)).status).toBe(404);
      expect((await call(outsider, "POST", `/v1/tasks/${id}/cancel`, { reason: "x" })).status).toBe(404);
    }
    expect((await call("chaoyang-street", "GET", `/v1/tasks/${id}`)).status).toBe(200);
    expect((await call("bj-committee", "POST", `/v1/tasks/${id}/acknowledge`)).status).toBe(200);
    expect((await call("chaoyang-street", "GET", "/v1/tasks/tsk_unknown")).status).toBe(404);
  });
});

describe("errors that are not outages", () => {
  it("answers a task it cannot read with 500, not a 503 that the caller would retry forever", async () => {
    const id = await appeal("broken", "110105001");
    const owner = await h.gw.redis.get(`gb:task-owner:${id}`);
    await h.gw.redis.hset(`gb:{o:${owner}}:task:${id}`, "json", "{not json");
    const response = await call("chaoyang-street", "GET", `/v1/tasks/${id}`);
    expect(response.status).toBe(500);
    expect(response.headers.get("retry-after")).toBeNull();
  });
});

describe("the OpenAPI document", () => {
  it("lists the task routes with their schemas", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/tasks",
        "/v1/tasks/{id}",
        "/v1/tasks/{id}/acknowledge",
        "/v1/tasks/{id}/complete",
        "/v1/tasks/{id}/cancel",
      ]),
    );
  });
});
