import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signalExamples } from "@gigbridge/schemas";
import { RedisServer, waitFor } from "@gigbridge/testkit";
import type { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { subjectIdOf } from "../packages/gateway/src/core/master-key.js";
import { Receiver } from "../packages/gateway/src/delivery/testing.js";
import {
  type GatewayUnderTest,
  startGatewayOn,
  testKeys,
} from "../packages/gateway/src/test-support/gateway.js";

/** `INFO persistence` as a map. */
async function persistence(client: Redis): Promise<Record<string, string>> {
  const text = await client.info("persistence");
  return Object.fromEntries(
    text
      .split("\r\n")
      .filter((line) => line.includes(":"))
      .map((line) => line.split(":") as [string, string]),
  );
}

/**
 * The backup and restore procedure of docs/operations.md, step by step: BGSAVE on the running
 * Redis, copy dump.rdb, start a fresh Redis on the copy with AOF off, then turn AOF on. A gateway
 * on the restored Redis has every task, record, ledger and pending delivery, and carries on.
 */
describe("backup and restore with Redis's own snapshot", () => {
  const masterKey = randomBytes(32);
  const cleanup: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  it("restores tasks, records, ledgers and pending deliveries; processing resumes", async () => {
    const receiver = await Receiver.start();
    cleanup.push(() => receiver.close());
    // The receiver is down until after the restore: the deliveries stay pending in Redis.
    receiver.reply = () => ({ status: 503 });
    const config = {
      endpoints: [
        {
          id: "ep-district",
          org: "district",
          url: receiver.url,
          secret: `whsec_${randomBytes(32).toString("base64")}`,
        },
      ],
      retry: { schedule: [0, ...Array.from({ length: 30 }, () => "1s")], jitter: 0 },
    };
    const original = await RedisServer.start();
    cleanup.push(() => original.destroy());
    let gateway: GatewayUnderTest = await startGatewayOn(original.url, { config, masterKey });
    const send = async (signal: unknown) => {
      const res = await gateway.call("POST", "/v1/signals", { key: testKeys.platform, body: signal });
      expect(res.status).toBe(202);
    };
    const member = signalExamples["membership.declared"];
    await send({ ...member, id: "bk-member" });
    await send({ ...signalExamples["activity.completed"], id: "bk-activity" });
    await send({
      id: "bk-appeal",
      type: "appeal.raised",
      occurredAt: "2026-11-29T09:00:00+08:00",
      data: {
        workerId: "w_7",
        category: "wages",
        urgency: "normal",
        summary: "Unpaid",
        regionCode: "110105",
      },
    });
    const listTasks = async () => {
      const res = await gateway.call("GET", "/v1/tasks?limit=100", { key: testKeys.district });
      return ((await res.json()) as { items: { id: string; kind: string; status: string }[] }).items;
    };
    const before = await waitFor(
      async () => {
        const items = await listTasks();
        return items.length === 2 ? items : undefined;
      },
      { description: "two tasks" },
    );
    const subjectId = subjectIdOf(masterKey, "platform-a", member.data.workerId);
    const ledger = async () =>
      (await (
        await gateway.call("GET", `/v1/members/${subjectId}/points`, { key: testKeys.district })
      ).json()) as { balance: number; total: number };
    const ledgerBefore = await waitFor(
      async () => {
        const l = await ledger();
        return l.total === 1 ? l : undefined;
      },
      { description: "the activity on the ledger" },
    );
    // Each task.created delivery failed once and waits for its retry.
    await waitFor(() => new Set(receiver.requests.map((r) => r.headers["webhook-id"])).size >= 2, {
      description: "first delivery attempts",
    });
    const pendingIds = new Set(receiver.requests.map((r) => r.headers["webhook-id"] as string));

    // 1. Snapshot the running Redis (the gateway keeps serving meanwhile).
    const client = original.client();
    const saves = Number((await persistence(client)).rdb_saves);
    await client.bgsave();
    await waitFor(
      async () => {
        const p = await persistence(client);
        return Number(p.rdb_saves) > saves && p.rdb_bgsave_in_progress === "0";
      },
      { description: "BGSAVE to finish" },
    );
    expect((await persistence(client)).rdb_last_bgsave_status).toBe("ok");
    // 2. Copy dump.rdb away: this is the backup.
    const backupDir = mkdtempSync(join(tmpdir(), "gigbridge-backup-"));
    cleanup.push(() => rmSync(backupDir, { recursive: true, force: true }));
    copyFileSync(join(original.dir, "dump.rdb"), join(backupDir, "dump.rdb"));
    client.disconnect();
    await gateway.close();
    await original.destroy();

    // 3. A fresh Redis on the copy, AOF off so that it loads the RDB; 4. then AOF on.
    const restored = await RedisServer.start({ dir: backupDir, appendOnly: false });
    cleanup.push(() => restored.destroy());
    const restoredClient = restored.client();
    cleanup.push(() => restoredClient.disconnect());
    await restoredClient.config("SET", "appendonly", "yes");
    await waitFor(
      async () => {
        const p = await persistence(restoredClient);
        return p.aof_enabled === "1" && p.aof_rewrite_in_progress === "0" && p.aof_rewrite_scheduled === "0";
      },
      { description: "the AOF to be written" },
    );

    // 5. The gateway, with the same master key, on the restored Redis.
    const restoredAt = Date.now();
    receiver.reply = () => ({ status: 204 });
    gateway = await startGatewayOn(restored.url, { config, masterKey });
    cleanup.push(() => gateway.close());
    expect((await listTasks()).map((t) => t.id).sort()).toEqual(before.map((t) => t.id).sort());
    expect(await ledger()).toEqual(ledgerBefore);
    // The pending deliveries go out with their original message ids.
    await waitFor(
      () =>
        [...pendingIds].every((id) =>
          receiver.requests.some((r) => r.headers["webhook-id"] === id && r.at >= restoredAt),
        ),
      { timeoutMs: 15_000, description: "the pending deliveries, delivered after the restore" },
    );
    // The worker's record came back: a relocation of the known member makes a transfer task.
    await send({
      id: "bk-relocated",
      type: "worker.relocated",
      occurredAt: "2026-11-30T09:00:00+08:00",
      data: {
        workerId: member.data.workerId,
        from: { regionCode: "110105" },
        to: { regionCode: "110105002" },
      },
    });
    const transfer = await waitFor(
      async () => {
        const res = await gateway.call("GET", "/v1/tasks?kind=transfer_relation", { key: testKeys.streetB });
        const items = ((await res.json()) as { items: { signalId: string }[] }).items;
        return items.find((t) => t.signalId === "bk-relocated");
      },
      { description: "the transfer task, made from the restored record" },
    );
    expect(transfer).toBeDefined();
    // Idempotency memory came back too: a signal sent before the backup is still a duplicate.
    const again = await gateway.call("POST", "/v1/signals", {
      key: testKeys.platform,
      body: { ...member, id: "bk-member" },
    });
    expect(await again.json()).toEqual({ accepted: [], duplicates: ["bk-member"] });
  });
});
