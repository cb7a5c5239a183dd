import type { Signal } from "@gigbridge/schemas";
import fc from "fast-check";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Gateway } from "../core/context.js";
import { keys } from "../core/keys.js";
import { subjectIdOf } from "../core/master-key.js";
import { signalStatus } from "../ingest/intake.js";
import { makeSignal, ruleContext, testOrgs } from "../rules/testing.js";
import { getTask } from "../tasks/store.js";
import { historyAndOrders, outcomeOf, WORKER } from "../test-support/histories.js";
import { NoRouteError, processSignal } from "./process.js";
import { loadRecord } from "./records.js";
import { type StageHarness, startStageHarness } from "./testing.js";

// Arrival order through the processing stage on a real redis-server: the merge runs on the record
// version the commit compares, so signals processed at the same time cannot undo each other.

let h: StageHarness;
let gw: Gateway;
beforeAll(async () => {
  h = await startStageHarness();
  gw = h.gw;
});
afterAll(async () => h?.close());
beforeEach(async () => {
  await gw.redis.flushall();
  h.emitted.length = 0;
});

async function run(signal: Signal, platformId = "quickride") {
  await gw.redis.hset(
    keys.signal(platformId, signal.id),
    "status",
    "queued",
    "type",
    signal.type,
    "receivedAt",
    gw.now(),
  );
  return processSignal(gw, { platformId, signal, receivedAt: gw.now() }, { emit: h.emit });
}

const at = (day: number) => `2024-06-${String(day).padStart(2, "0")}T08:00:00+08:00`;
const record = async (workerId: string) =>
  (await loadRecord(gw.redis, subjectIdOf(gw.masterKey, "quickride", workerId))).record;

describe("signals out of order through Redis", () => {
  it("an older onboarding after a relocation reads processed, names its stale place, and moves nobody back", async () => {
    const move = makeSignal(
      "worker.relocated",
      { workerId: "w_o1", to: { regionCode: "310115005" } },
      {
        id: "o1-move",
        occurredAt: at(20),
      },
    );
    const onboard = makeSignal(
      "worker.onboarded",
      { workerId: "w_o1", regionCode: "110105001", stationId: undefined },
      {
        id: "o1-onboard",
        occurredAt: at(1),
      },
    );
    await run(move);
    const result = await run(onboard);
    expect(await signalStatus(gw, "quickride", onboard.id)).toMatchObject({
      status: "processed",
      tasks: result.tasks,
      staleFacts: ["place"],
      note: expect.stringContaining("place"),
    });
    const fresh = await signalStatus(gw, "quickride", move.id);
    expect(fresh).not.toHaveProperty("staleFacts");
    expect(fresh).not.toHaveProperty("note");
    expect(await record("w_o1")).toMatchObject({
      regionCode: "310115005",
      orgId: "pudong-district",
      active: true,
    });
  });

  it("replaying an old failed signal after newer ones never moves the worker back", async () => {
    // Nobody covers Shenzhen yet: the onboarding fails no_route and waits for an operator.
    const onboard = makeSignal(
      "worker.onboarded",
      { workerId: "w_o2", regionCode: "440305", stationId: undefined },
      {
        id: "o2-onboard",
        occurredAt: at(1),
      },
    );
    expect(await run(onboard).catch((e: unknown) => e)).toBeInstanceOf(NoRouteError);
    const move = makeSignal(
      "worker.relocated",
      { workerId: "w_o2", to: { regionCode: "110105001" } },
      {
        id: "o2-move",
        occurredAt: at(20),
      },
    );
    await run(move);

    await gw.orgs.put({ ...testOrgs[5]!, id: "nanshan-district", code: "NANSHAN", regions: ["440305"] });
    const replay = await run(onboard);
    expect(await signalStatus(gw, "quickride", onboard.id)).toMatchObject({
      status: "processed",
      staleFacts: ["place"],
    });
    expect(await record("w_o2")).toMatchObject({ regionCode: "110105001", orgId: "chaoyang-street" });
    // The member is registered where they work now, not where they started.
    const tasks = await Promise.all(replay.tasks.map((id) => getTask(gw.redis, id)));
    expect(tasks.map((t) => [t?.task.kind, t?.task.orgId])).toEqual([["register_member", "chaoyang-street"]]);
  });

  it("the final record equals processing in occurredAt order, even with every signal processed at once", async () => {
    const ctx = ruleContext({ subjectId: subjectIdOf(gw.masterKey, "quickride", WORKER) });
    await fc.assert(
      fc.asyncProperty(historyAndOrders(undefined, 2, 6), async ({ history, orders }) => {
        const expected = outcomeOf(history, ctx).record;
        for (const [index, order] of orders.entries()) {
          await gw.redis.flushall();
          if (index === 0) for (const signal of order) await run(signal);
          else await Promise.all(order.map((signal) => run(signal)));
          expect(await record(WORKER)).toEqual(expected);
        }
      }),
      { numRuns: 25 },
    );
  });
});
