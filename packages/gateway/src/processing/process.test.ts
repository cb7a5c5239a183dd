import type { EventData, Signal } from "@gigbridge/schemas";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Gateway } from "../core/context.js";
import { keys } from "../core/keys.js";
import { subjectIdOf } from "../core/master-key.js";
import type { Org } from "../core/orgs.js";
import { signalStatus } from "../ingest/intake.js";
import { stationTaskId, taskId } from "../rules/ids.js";
import { consentAll, makeSignal } from "../rules/testing.js";
import { getTask, listTasks } from "../tasks/store.js";
import { readLedger } from "./ledger.js";
import { NoRouteError, processSignal } from "./process.js";
import { loadRecord } from "./records.js";
import { type StageHarness, startStageHarness } from "./testing.js";

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

/** What ingest leaves behind for an accepted signal. */
async function queued(platformId: string, signal: Signal) {
  await gw.redis.hset(
    keys.signal(platformId, signal.id),
    "status",
    "queued",
    "type",
    signal.type,
    "receivedAt",
    gw.now(),
  );
}

async function run(signal: Signal, platformId = "quickride") {
  await queued(platformId, signal);
  return processSignal(gw, { platformId, signal, receivedAt: gw.now() }, { emit: h.emit });
}

const subject = (workerId: string, platformId = "quickride") =>
  subjectIdOf(gw.masterKey, platformId, workerId);

describe("processing a signal", () => {
  it("stores R1's task, indexes it for the org, emits task.created and marks the signal processed", async () => {
    const signal = makeSignal("membership.declared", { regionCode: "110105001", stationId: undefined });
    const result = await run(signal);
    const id = taskId("quickride", signal.id, "R1");
    expect(result.tasks).toEqual([id]);

    const stored = await getTask(gw.redis, id);
    expect(stored?.task).toMatchObject({
      kind: "register_member",
      orgId: "chaoyang-street",
      status: "open",
      subjectId: subject("w_100001"),
    });
    const page = await listTasks(gw.redis, ["chaoyang-street"], {}, null, 10);
    expect(page.items.map((t) => t.id)).toEqual([id]);

    expect(h.emitted.map((e) => [e.type, e.orgId])).toEqual([["task.created", "chaoyang-street"]]);
    expect(await signalStatus(gw, "quickride", signal.id)).toMatchObject({
      status: "processed",
      tasks: [id],
    });

    const { record } = await loadRecord(gw.redis, subject("w_100001"));
    expect(record).toMatchObject({
      politicalStatus: "member",
      orgId: "chaoyang-street",
      workerId: "w_100001",
    });
  });

  it("keeps no raw worker id or contact without consent to share them", async () => {
    const signal = makeSignal("membership.declared", {
      contact: undefined,
      consent: { ...consentAll, scopes: ["share_membership"] },
    });
    await run(signal);
    const raw = JSON.stringify(await gw.redis.hgetall(`gb:{w:${subject("w_100001")}}:record`));
    expect(raw).not.toContain("w_100001");
    expect(raw).not.toContain("13800000001");
    expect(raw).toContain("member");
  });

  it("yields the same tasks and events when the same signal is processed again", async () => {
    const signal = makeSignal("appeal.raised");
    const first = await run(signal);
    const firstEvents = structuredClone(h.emitted);
    const task = await getTask(gw.redis, first.tasks[0]!);
    h.clock.now += 60_000;
    const again = await run(signal);
    expect(again.tasks).toEqual(first.tasks);
    expect(await getTask(gw.redis, first.tasks[0]!)).toEqual(task);
    expect(h.sent()).toEqual(firstEvents);
    expect((await listTasks(gw.redis, ["chaoyang-district"], {}, null, 10)).items).toHaveLength(1);
  });

  it("replays a relocation with the same notice even after later signals changed the record", async () => {
    await run(
      makeSignal("membership.declared", { regionCode: "110105001", stationId: undefined }, { id: "declare" }),
    );
    const move = makeSignal("worker.relocated", { to: { regionCode: "310115005" } }, { id: "move" });
    const first = await run(move);
    const sentBefore = h.sent();
    // The member moves on: the record no longer says chaoyang-street.
    await run(
      makeSignal(
        "worker.relocated",
        { from: { regionCode: "310115005" }, to: { regionCode: "110108" } },
        { id: "move-2" },
      ),
    );
    const countBefore = h.sent().length;

    const replay = await run(move);
    expect(replay.tasks).toEqual(first.tasks);
    expect(h.sent()).toHaveLength(countBefore);
    const departed = sentBefore.find((e) => e.type === "member.departed");
    expect(departed).toMatchObject({ orgId: "chaoyang-street", data: { toOrgId: "pudong-district" } });
    // The replay did not move the member back.
    expect((await loadRecord(gw.redis, subject("w_100001"))).record?.regionCode).toBe("110108");
  });

  it("fails no_route, keeps nothing, and succeeds once an org covering the region is added", async () => {
    const signal = makeSignal("appeal.raised", { regionCode: "440305" });
    const failure = await run(signal).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(NoRouteError);
    expect((failure as NoRouteError).message).toBe("no_route");
    expect(await signalStatus(gw, "quickride", signal.id)).toMatchObject({
      status: "failed",
      tasks: [],
      failure: { reason: "no_route", detail: "no organization covers platform quickride, region 440305" },
    });
    expect(h.emitted).toEqual([]);

    const nanshan: Org = {
      ...(await gw.orgs.get("pudong-district"))!,
      id: "nanshan-district",
      regions: ["440305"],
    };
    await gw.orgs.put(nanshan);
    const result = await run(signal);
    expect((await getTask(gw.redis, result.tasks[0]!))?.task.orgId).toBe("nanshan-district");
    const status = await signalStatus(gw, "quickride", signal.id);
    expect(status).toMatchObject({ status: "processed", tasks: result.tasks });
    expect(status).not.toHaveProperty("failure");
  });
});

describe("R6 through Redis", () => {
  const declareAt = (workerId: string, stationId: string, id = `decl-${workerId}`) =>
    makeSignal(
      "membership.declared",
      { workerId, regionCode: "110105001", stationId, contact: undefined },
      { id },
    );

  it("fires once per station even when members arrive at the same time", async () => {
    const signals = Array.from({ length: 8 }, (_, i) => declareAt(`w_${i}`, "st_z"));
    const results = await Promise.all(signals.map((s) => run(s)));
    const r6 = stationTaskId("quickride", "st_z");
    expect(results.filter((r) => r.tasks.includes(r6))).toHaveLength(1);
    const stored = await getTask(gw.redis, r6);
    expect(stored?.task).toMatchObject({
      kind: "establish_organization",
      orgId: "chaoyang-street",
      details: { memberCount: 3 },
    });
    const establish = await listTasks(
      gw.redis,
      ["chaoyang-street"],
      { kind: "establish_organization" },
      null,
      10,
    );
    expect(establish.items).toHaveLength(1);

    // Members leaving and coming back, and every signal processed again, change nothing.
    await run(makeSignal("worker.offboarded", { workerId: "w_0" }, { id: "off-0" }));
    await run(declareAt("w_0", "st_z", "decl-again"));
    await Promise.all(signals.map((s) => run(s)));
    expect(
      h
        .sent()
        .filter(
          (e) =>
            e.type === "task.created" &&
            (e.data as EventData<"task.created">).task.kind === "establish_organization",
        ),
    ).toHaveLength(1);
  });

  it("counts only full members, and not a member who moved away", async () => {
    await run(declareAt("w_a", "st_y"));
    await run(
      makeSignal(
        "membership.declared",
        { workerId: "w_b", politicalStatus: "probationary", regionCode: "110105001", stationId: "st_y" },
        { id: "prob" },
      ),
    );
    await run(declareAt("w_c", "st_y"));
    await run(
      makeSignal(
        "worker.relocated",
        { workerId: "w_c", to: { regionCode: "110105001", stationId: "st_x" } },
        { id: "away" },
      ),
    );
    // A replay of the move to st_y must not count w_c there again.
    await run(declareAt("w_c", "st_y"));
    await run(declareAt("w_d", "st_y"));
    expect(await getTask(gw.redis, stationTaskId("quickride", "st_y"))).toBeNull();
    await run(declareAt("w_e", "st_y"));
    expect(await getTask(gw.redis, stationTaskId("quickride", "st_y"))).not.toBeNull();
  });

  it("asks nobody where the platform has a group at the station, and names the station from station.updated", async () => {
    for (const w of ["w_1", "w_2", "w_3"]) {
      await run(
        makeSignal(
          "membership.declared",
          { workerId: w, regionCode: "110105", stationId: "st_chaoyang_07" },
          { id: `f-${w}` },
        ),
        "fastmeal",
      );
    }
    expect(await getTask(gw.redis, stationTaskId("fastmeal", "st_chaoyang_07"))).toBeNull();

    await run(
      makeSignal("station.updated", {
        stationId: "st_q",
        name: "示例驿站",
        regionCode: "110105001",
        headcount: 30,
      }),
    );
    for (const w of ["w_1", "w_2", "w_3"]) await run(declareAt(w, "st_q", `q-${w}`));
    const stored = await getTask(gw.redis, stationTaskId("quickride", "st_q"));
    expect(stored?.task.details).toEqual({ stationName: "示例驿站", headcount: 30, memberCount: 3 });
  });
});

describe("R7 through Redis", () => {
  it("adds one ledger entry per activity however often it is reported, with the balance in the event", async () => {
    await run(makeSignal("membership.declared", { regionCode: "110105001", stationId: undefined }));
    const study = makeSignal(
      "activity.completed",
      { kind: "study", hours: 2, activityId: "act_1" },
      { id: "a1" },
    );
    await run(study);
    await run(study);
    await run(
      makeSignal("activity.completed", { kind: "study", hours: 2, activityId: "act_1" }, { id: "a1-resent" }),
    );
    await run(
      makeSignal("activity.completed", { kind: "volunteer", hours: 1.5, activityId: "act_2" }, { id: "a2" }),
    );

    const ledger = await readLedger(gw.redis, subject("w_100001"), 10);
    expect(ledger.balance).toBe(5);
    expect(ledger.entries.map((e) => [e.activityId, e.points, e.balance])).toEqual([
      ["act_2", 3, 5],
      ["act_1", 2, 2],
    ]);
    const awarded = h.sent().filter((e) => e.type === "points.awarded");
    const data = (e: (typeof awarded)[number]) => e.data as EventData<"points.awarded">;
    expect(awarded.map((e) => [e.orgId, data(e).points, data(e).balance])).toEqual([
      ["chaoyang-street", 2, 2],
      ["chaoyang-street", 3, 5],
    ]);
  });
});
