import { randomBytes } from "node:crypto";
import { DAY } from "@gigbridge/schemas";
import { RedisCluster, waitFor } from "@gigbridge/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subjectIdOf } from "../core/master-key.js";
import { sweepFinishedTasks } from "../tasks/retention.js";
import { type GatewayUnderTest, startGatewayOn, testKeys } from "../test-support/gateway.js";
import { rotateMasterKey } from "./migrate.js";

/**
 * Rotation and the retention sweeper on a real 3-master cluster: the passes SCAN every master,
 * and every script keeps to one slot (a cross-slot error fails the run).
 */
describe("rotation and retention on a Redis Cluster", () => {
  let cluster: RedisCluster;
  let g: GatewayUnderTest | undefined;
  beforeAll(async () => {
    cluster = await RedisCluster.start({ masters: 3 });
  });
  afterAll(async () => {
    await g?.close();
    await cluster?.destroy();
  });

  it("moves every worker to key B and sweeps finished tasks across the masters", async () => {
    const keyA = randomBytes(32);
    const keyB = randomBytes(32);
    let now = Date.now();
    const workers = Array.from({ length: 12 }, (_, i) => `w_${i}`);
    g = await startGatewayOn(cluster.url, { masterKey: keyA, masterKeyId: "a", now: () => now });
    const res = await g.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: {
        signals: workers.map((workerId, i) => ({
          id: `c-${i}`,
          type: "membership.declared",
          occurredAt: "2026-11-29T09:00:00+08:00",
          data: {
            workerId,
            politicalStatus: "member",
            regionCode: "110105001",
            homeOrganization: { name: "Branch" },
            consent: { id: `c-${i}`, grantedAt: "2026-11-29T08:00:00+08:00", scopes: ["share_membership"] },
          },
        })),
      },
    });
    expect(res.status).toBe(202);
    const list = async () => {
      const r = await (g as GatewayUnderTest).call("GET", "/v1/tasks?limit=100", { key: testKeys.streetA });
      return ((await r.json()) as { items: { id: string; subjectId?: string }[] }).items;
    };
    const tasks = await waitFor(async () => {
      const items = await list();
      return items.length === workers.length ? items : undefined;
    });
    await g.close();

    g = await startGatewayOn(cluster.url, {
      masterKey: keyB,
      masterKeyId: "b",
      previousMasterKeys: [{ id: "a", key: keyA }],
      now: () => now,
    });
    const done = await rotateMasterKey(g.running.gw, { operator: "test", batch: 3 });
    expect(done.pass).toBe("done");
    expect(done.moved).toBeGreaterThanOrEqual(workers.length * 2);
    const expected = workers.map((w) => subjectIdOf(keyB, "platform-a", w)).sort();
    expect((await list()).map((t) => t.subjectId).sort()).toEqual(expected);
    const records: string[] = [];
    for (const node of cluster.nodes) {
      const client = new Redis(node.port, node.host);
      records.push(...(await client.keys("gb:{w:*}:record")));
      client.disconnect();
    }
    expect(records.map((k) => k.slice("gb:{w:".length, -"}:record".length)).sort()).toEqual(expected);

    const first = tasks[0]?.id as string;
    const completed = await g.call("POST", `/v1/tasks/${first}/complete`, {
      key: testKeys.streetA,
      body: { note: "Paid" },
    });
    expect(completed.status).toBe(200);
    now += 366 * DAY;
    expect(await sweepFinishedTasks(g.running.gw)).toBe(1);
    expect((await list()).length).toBe(workers.length - 1);
  });
});
