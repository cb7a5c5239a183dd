import { type Task, taskSchema } from "@gigbridge/schemas";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type StageHarness, startStageHarness } from "../processing/testing.js";
import { taskKeys } from "./keys.js";
import { changeTask, createTask, getTask, listTasks, type TaskCursor } from "./store.js";

let h: StageHarness;
beforeAll(async () => {
  h = await startStageHarness();
});
afterAll(async () => h?.close());
beforeEach(async () => {
  await h.gw.redis.flushall();
});

function makeTask(
  id: string,
  orgId: string,
  createdAt: number,
  kind: "follow_up_appeal" | "update_roster" = "follow_up_appeal",
): Task {
  const at = new Date(createdAt).toISOString();
  const base = {
    id,
    status: "open",
    orgId,
    platformId: "quickride",
    signalId: `sig_${id}`,
    deadline: at,
    createdAt: at,
    updatedAt: at,
  };
  return taskSchema.parse(
    kind === "follow_up_appeal"
      ? { ...base, kind, rule: "R5", details: { category: "wages", urgency: "normal", summary: "示例" } }
      : { ...base, kind, rule: "R4", details: { politicalStatus: "member", reason: "resigned" } },
  );
}

/** Where a task stands in the org's index (all tasks, or one status). */
async function positionOf(id: string, status?: "acknowledged"): Promise<number | null> {
  const key = taskKeys.index("chaoyang-street", status ? { status } : {});
  const score = await h.gw.redis.zscore(key, id);
  return score === null ? null : Number(score);
}

async function allPages(orgIds: string[], filter = {}, limit = 2) {
  const ids: string[] = [];
  let after: TaskCursor | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const page = await listTasks(h.gw.redis, orgIds, filter, after, limit);
    ids.push(...page.items.map((t) => t.id));
    if (!page.next) return ids;
    after = page.next;
  }
  throw new Error("pagination did not end");
}

describe("the task store", () => {
  it("creates a task once; a second create answers the stored task", async () => {
    const task = makeTask("tsk_a", "chaoyang-street", 1000);
    expect((await createTask(h.gw.redis, task)).created).toBe(true);
    const again = await createTask(h.gw.redis, { ...task, updatedAt: new Date(5000).toISOString() });
    expect(again).toEqual({ task, overdueAt: null, created: false });
  });

  it("keeps a task with the org that has it, even if a replay routes its id elsewhere", async () => {
    await createTask(h.gw.redis, makeTask("tsk_a", "chaoyang-street", 1000));
    const replay = await createTask(h.gw.redis, makeTask("tsk_a", "pudong-district", 2000));
    expect(replay.task.orgId).toBe("chaoyang-street");
    expect((await listTasks(h.gw.redis, ["pudong-district"], {}, null, 10)).items).toEqual([]);
  });

  it("pages through several orgs in the order tasks were stored, each task once", async () => {
    const tasks = [
      makeTask("tsk_1", "chaoyang-street", 1000),
      makeTask("tsk_2", "chaoyang-district", 1000),
      makeTask("tsk_3", "chaoyang-street", 1000),
      makeTask("tsk_4", "fastmeal-chaoyang", 500),
      makeTask("tsk_5", "chaoyang-district", 3000),
      makeTask("tsk_6", "pudong-district", 2000),
    ];
    for (const task of tasks) await createTask(h.gw.redis, task);
    const orgs = ["chaoyang-district", "chaoyang-street", "fastmeal-chaoyang"];
    expect(await allPages(orgs, {}, 1)).toEqual(["tsk_1", "tsk_2", "tsk_3", "tsk_4", "tsk_5"]);
    expect(await allPages(orgs, {}, 2)).toEqual(["tsk_1", "tsk_2", "tsk_3", "tsk_4", "tsk_5"]);
    expect(await allPages(orgs, {}, 100)).toEqual(["tsk_1", "tsk_2", "tsk_3", "tsk_4", "tsk_5"]);
  });

  it("never skips a task decided earlier but stored after a reader's cursor", async () => {
    await createTask(h.gw.redis, makeTask("tsk_late_b", "chaoyang-street", 10_000));
    const first = await listTasks(h.gw.redis, ["chaoyang-street"], {}, null, 1);
    expect(first.items.map((t) => t.id)).toEqual(["tsk_late_b"]);
    const cursor = { position: (await positionOf("tsk_late_b")) ?? 0, id: "tsk_late_b" };
    // A worker now stores a task it decided before tsk_late_b (an older createdAt).
    await createTask(h.gw.redis, makeTask("tsk_late_a", "chaoyang-street", 1_000));
    const next = await listTasks(h.gw.redis, ["chaoyang-street"], {}, cursor, 10);
    expect(next.items.map((t) => t.id)).toEqual(["tsk_late_a"]);
  });

  it("lists a task under a status from the moment it entered that status", async () => {
    await createTask(h.gw.redis, makeTask("tsk_s1", "chaoyang-street", 1000));
    await createTask(h.gw.redis, makeTask("tsk_s2", "chaoyang-street", 2000));
    await changeTask(h.gw.redis, "tsk_s2", { type: "acknowledge" }, 3000);
    const page = await listTasks(h.gw.redis, ["chaoyang-street"], { status: "acknowledged" }, null, 10);
    expect(page.items.map((t) => t.id)).toEqual(["tsk_s2"]);
    const cursor = { position: (await positionOf("tsk_s2", "acknowledged")) ?? 0, id: "tsk_s2" };
    // tsk_s1 was created first but is acknowledged later: a reader of acknowledged tasks finds it next.
    await changeTask(h.gw.redis, "tsk_s1", { type: "acknowledge" }, 4000);
    const next = await listTasks(h.gw.redis, ["chaoyang-street"], { status: "acknowledged" }, cursor, 10);
    expect(next.items.map((t) => t.id)).toEqual(["tsk_s1"]);
  });

  it("filters by status and kind, following transitions", async () => {
    await createTask(h.gw.redis, makeTask("tsk_1", "chaoyang-street", 1000));
    await createTask(h.gw.redis, makeTask("tsk_2", "chaoyang-street", 2000, "update_roster"));
    await createTask(h.gw.redis, makeTask("tsk_3", "chaoyang-street", 3000));
    await changeTask(h.gw.redis, "tsk_3", { type: "acknowledge" }, 4000);
    await changeTask(h.gw.redis, "tsk_1", { type: "cancel", reason: "重复" }, 4000);
    const org = ["chaoyang-street"];
    expect(await allPages(org, { status: "open" })).toEqual(["tsk_2"]);
    expect(await allPages(org, { status: "acknowledged" })).toEqual(["tsk_3"]);
    expect(await allPages(org, { status: "cancelled", kind: "follow_up_appeal" })).toEqual(["tsk_1"]);
    expect(await allPages(org, { kind: "follow_up_appeal" })).toEqual(["tsk_1", "tsk_3"]);
    expect(await allPages(org, { status: "open", kind: "follow_up_appeal" })).toEqual([]);
  });

  it("lets exactly one of two concurrent acknowledgements through", async () => {
    await createTask(h.gw.redis, makeTask("tsk_1", "chaoyang-street", 1000));
    const results = await Promise.all(
      Array.from({ length: 5 }, () => changeTask(h.gw.redis, "tsk_1", { type: "acknowledge" }, 2000)),
    );
    expect(results.filter((r) => r.outcome === "changed")).toHaveLength(1);
    expect(results.filter((r) => r.outcome === "illegal")).toHaveLength(4);
    expect((await getTask(h.gw.redis, "tsk_1"))?.task.status).toBe("acknowledged");
  });

  it("answers not found for an unknown task", async () => {
    expect(await getTask(h.gw.redis, "tsk_none")).toBeNull();
    expect(await changeTask(h.gw.redis, "tsk_none", { type: "acknowledge" }, 1)).toEqual({
      outcome: "not_found",
    });
  });
});
