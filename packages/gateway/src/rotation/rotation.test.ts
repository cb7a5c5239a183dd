import { randomBytes } from "node:crypto";
import { RedisServer, waitFor } from "@gigbridge/testkit";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMasterKeyRing, subjectIdOf } from "../core/master-key.js";
import { createEndpoint } from "../delivery/endpoints.js";
import { Receiver } from "../delivery/testing.js";
import { type GatewayUnderTest, startGatewayOn, testKeys } from "../test-support/gateway.js";
import { type RotationProgress, rotateMasterKey } from "./migrate.js";

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const PLATFORM = "platform-a";
const STATION = "st_rot";

const member = (i: number) => ({
  id: `mem-${i}`,
  type: "membership.declared",
  occurredAt: "2026-11-01T10:00:00+08:00",
  data: {
    workerId: `w_${i}`,
    politicalStatus: "member",
    regionCode: "110105001",
    stationId: STATION,
    homeOrganization: { name: "Branch" },
    consent: { id: `c-${i}`, grantedAt: "2026-11-01T09:00:00+08:00", scopes: ["share_membership"] },
  },
});
const activity = (i: number, n: number) => ({
  id: `act-${i}-${n}`,
  type: "activity.completed",
  occurredAt: "2026-11-02T10:00:00+08:00",
  data: { workerId: `w_${i}`, kind: "volunteer", hours: 2, activityId: `a-${i}-${n}` },
});

describe("gigbridge rotate-master-key", () => {
  let redis: RedisServer;
  let receiver: Receiver;
  let g: GatewayUnderTest | undefined;
  beforeAll(async () => {
    redis = await RedisServer.start();
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    await g?.close();
    await receiver?.close();
    await redis?.destroy();
  });

  const send = async (signals: unknown[]) => {
    const res = await g?.call("POST", "/v1/signals/batch", { key: testKeys.platform, body: { signals } });
    expect(res?.status).toBe(202);
  };
  const ledger = async (subjectId: string) => {
    const res = await g?.call("GET", `/v1/members/${subjectId}/points`, { key: testKeys.district });
    return res?.status === 200 ? ((await res.json()) as { balance: number; total: number }) : undefined;
  };
  const taskIds = async () => {
    const res = await (g as GatewayUnderTest).call("GET", "/v1/tasks?limit=100", { key: testKeys.district });
    return ((await res.json()) as { items: { id: string; subjectId?: string }[] }).items;
  };
  const recordSubjects = async () => {
    const client = redis.client();
    const keys = await client.keys("gb:{w:*}:record");
    client.disconnect();
    return keys.map((k) => k.slice("gb:{w:".length, -"}:record".length)).sort();
  };

  it("moves records, ledgers, tasks, station members and endpoint secrets to key B under traffic; key A can go", async () => {
    // Under key A: ten members with a ledger entry each, an API endpoint with a sealed secret.
    g = await startGatewayOn(redis.url, { masterKey: keyA, masterKeyId: "a" });
    const { secret } = await createEndpoint(g.running.gw, "district", {
      url: receiver.url,
      events: ["task.created"],
    });
    await send(Array.from({ length: 10 }, (_, i) => member(i)));
    const subA = (i: number) => subjectIdOf(keyA, PLATFORM, `w_${i}`);
    const subB = (i: number) => subjectIdOf(keyB, PLATFORM, `w_${i}`);
    await waitFor(async () => (await recordSubjects()).length === 10, { description: "ten records" });
    await send(Array.from({ length: 10 }, (_, i) => activity(i, 1)));
    const before = new Map<number, { balance: number; total: number }>();
    for (let i = 0; i < 10; i++) {
      before.set(
        i,
        await waitFor(async () => {
          const l = await ledger(subA(i));
          return l && l.total === 1 ? l : undefined;
        }),
      );
    }
    const tasksBefore = await waitFor(async () => {
      const items = await taskIds();
      // Ten register_member tasks and the station's establish_organization task.
      return items.length === 11 ? items : undefined;
    });
    await g.close();

    // Key B current, key A previous: rotate while signals keep coming, and survive a stop halfway.
    g = await startGatewayOn(redis.url, {
      masterKey: keyB,
      masterKeyId: "b",
      previousMasterKeys: [{ id: "a", key: keyA }],
    });
    const gw = g.running.gw;
    const traffic = (async () => {
      for (let i = 0; i < 5; i++) await send([activity(i, 2)]);
      await send(Array.from({ length: 5 }, (_, i) => member(10 + i)));
    })();
    let batches = 0;
    await expect(
      rotateMasterKey(gw, {
        operator: "test",
        batch: 2,
        onProgress: () => {
          if (++batches === 3) throw new Error("stopped halfway");
        },
      }),
    ).rejects.toThrow("stopped halfway");
    const progress: RotationProgress[] = [];
    const done = await rotateMasterKey(gw, {
      operator: "test",
      batch: 2,
      onProgress: (p) => progress.push({ ...p }),
    });
    await traffic;
    expect(done.pass).toBe("done");
    expect(done.unmigratable).toBe(0);
    expect(progress.length).toBeGreaterThan(1);
    // Wait for the traffic's own processing to finish: five second entries and five new members.
    for (let i = 0; i < 5; i++) {
      await waitFor(async () => (await ledger(subB(i)))?.total === 2, {
        description: `second entry of w_${i}`,
      });
    }
    await waitFor(async () => (await recordSubjects()).length === 15, { description: "fifteen records" });
    // Signals processed under B before the rotation reached them moved their worker themselves;
    // run once more so the tasks made meanwhile are rewritten too (a rerun after done is a no-op).
    expect((await rotateMasterKey(gw, { operator: "test" })).pass).toBe("done");
    await g.close();

    // Key A removed.
    g = await startGatewayOn(redis.url, { masterKey: keyB, masterKeyId: "b" });
    const expected = Array.from({ length: 15 }, (_, i) => subB(i)).sort();
    // Every worker has exactly one record, under its key-B subject id.
    expect(await recordSubjects()).toEqual(expected);
    const client = redis.client();
    for (let i = 0; i < 10; i++) {
      const left = (await client.keys(`gb:{w:${subA(i)}}:*`)).filter((k) => !k.endsWith(":moved"));
      expect(left).toEqual([]);
    }
    // Ledgers: unchanged balances for those without new activity, one more entry for the others.
    for (let i = 0; i < 10; i++) {
      const after = await ledger(subB(i));
      // The same ledger, now under the new subject id.
      if (i >= 5) expect(after).toEqual({ ...before.get(i), subjectId: subB(i) });
      else expect(after?.total).toBe(2);
    }
    // Every task is still listed, and names the worker by the new id.
    const tasksAfter = await taskIds();
    expect(tasksAfter.map((t) => t.id)).toEqual(expect.arrayContaining(tasksBefore.map((t) => t.id)));
    const named = tasksAfter.filter((t) => t.subjectId !== undefined).map((t) => t.subjectId);
    expect(named.every((s) => expected.includes(s as string))).toBe(true);
    // Station members moved with their workers.
    expect((await client.smembers(`gb:{st:${PLATFORM}/${STATION}}:members`)).sort()).toEqual(expected);
    // The endpoint secret, sealed again under B, still signs what its owner verifies.
    const seen = receiver.requests.length;
    await send([
      {
        id: "after-rotation",
        type: "appeal.raised",
        occurredAt: "2026-11-03T10:00:00+08:00",
        // A worker the records do not know: the appeal is routed by its own region, the district's.
        data: {
          workerId: "w_new",
          category: "wages",
          urgency: "normal",
          summary: "Late pay",
          regionCode: "110105",
        },
      },
    ]);
    const delivered = await waitFor(
      () => receiver.requests.slice(seen).find((r) => r.body.includes("after-rotation")),
      { description: "a delivery signed with the re-sealed secret" },
    );
    const headers = Object.fromEntries(
      ["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, String(delivered.headers[h])]),
    );
    expect(() => new Webhook(secret).verify(delivered.body, headers)).not.toThrow();
    // Audited: started, resumed and finished.
    const audit = await client.xrange("gb:{ops}:audit", "-", "+");
    const outcomes: string[] = [];
    for (const [, fields] of audit) {
      const entry = new Map<string, string>();
      for (let j = 0; j + 1 < fields.length; j += 2) entry.set(fields[j] as string, fields[j + 1] as string);
      if (entry.get("action") === "master_key.rotate") outcomes.push(entry.get("outcome") as string);
    }
    expect(outcomes).toEqual(expect.arrayContaining(["started", "resumed", "finished"]));
    client.disconnect();
  });

  it("keeps the old record, and reports a conflict, when a process without the old key made a new one", async () => {
    const own = await RedisServer.start();
    try {
      let gw = await startGatewayOn(own.url, { masterKey: keyA, masterKeyId: "a" });
      const post = (signals: unknown[]) =>
        gw.call("POST", "/v1/signals/batch", { key: testKeys.platform, body: { signals } });
      expect((await post([member(0)])).status).toBe(202);
      const client = own.client();
      const old = `gb:{w:${subjectIdOf(keyA, PLATFORM, "w_0")}}:record`;
      await waitFor(async () => (await client.exists(old)) === 1, { description: "the record under A" });
      await gw.close();
      // Started with key B only, by mistake: the worker gets a second, fresh record.
      gw = await startGatewayOn(own.url, { masterKey: keyB, masterKeyId: "b" });
      expect((await post([{ ...member(0), id: "mem-again" }])).status).toBe(202);
      const newRecord = `gb:{w:${subjectIdOf(keyB, PLATFORM, "w_0")}}:record`;
      await waitFor(async () => (await client.exists(newRecord)) === 1, { description: "a record under B" });
      await gw.close();
      gw = await startGatewayOn(own.url, {
        masterKey: keyB,
        masterKeyId: "b",
        previousMasterKeys: [{ id: "a", key: keyA }],
      });
      const done = await rotateMasterKey(gw.running.gw, { operator: "test" });
      expect(done.conflicts).toBe(1);
      expect(await client.exists(old)).toBe(1);
      client.disconnect();
      await gw.close();
    } finally {
      await own.destroy();
    }
  });

  it("reads the key ring: current first, ids required with more than one key", () => {
    const a = keyA.toString("base64");
    const b = keyB.toString("hex");
    const ring = parseMasterKeyRing(`b:${b}, a:${a}`);
    expect(ring.current).toEqual({ id: "b", key: keyB });
    expect(ring.previous).toEqual([{ id: "a", key: keyA }]);
    expect(parseMasterKeyRing(a).current.id).toBe("k0");
    expect(() => parseMasterKeyRing(`${a},${b}`)).toThrow(/each must be <id>:<key>/);
    expect(() => parseMasterKeyRing(`a:${a},a:${b}`)).toThrow(/given twice/);
    expect(() => parseMasterKeyRing("a:c2hvcnQ=")).toThrow(/32 bytes/);
  });
});
