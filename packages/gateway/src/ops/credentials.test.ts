import { RedisServer } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials, credentialId, hashKey } from "../core/credentials.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import type { AuditEntry } from "./schemas.js";

interface Created {
  key: string;
  id: string;
  expiresAt: string | null;
}
interface Listed {
  id: string;
  principal: { kind: string };
  source: string;
  revoked: boolean;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

const leakedConfigKey = "gb_pk_test_leaked_config_key_00000000000";

describe("credentials lifecycle through /v1/ops/credentials", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      workers: false,
      config: {
        platforms: [
          { id: "platform-a", name: "Platform A", keyHashes: [hashKey(testKeys.platform)] },
          {
            id: "platform-b",
            name: "Platform B",
            keyHashes: [hashKey(testKeys.otherPlatform), hashKey(leakedConfigKey)],
          },
        ],
        revokedKeyHashes: [hashKey(leakedConfigKey)],
      },
    });
  });
  afterAll(async () => t?.close());

  const list = async (): Promise<Listed[]> =>
    (
      (await (await t.call("GET", "/v1/ops/credentials", { key: testKeys.viewer })).json()) as {
        items: Listed[];
      }
    ).items;
  const audit = async (action: string): Promise<AuditEntry[]> =>
    (
      (await (await t.call("GET", `/v1/ops/audit?action=${action}`, { key: testKeys.viewer })).json()) as {
        items: AuditEntry[];
      }
    ).items;

  it("creates a key shown once, lists it without the key, and refuses it at once after revocation", async () => {
    const res = await t.call("POST", "/v1/ops/credentials", {
      key: testKeys.operator,
      body: { principal: { kind: "org", id: "street-a" }, expiresIn: "90d" },
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as Created;
    expect(created.key).toMatch(/^gb_ok_/);
    expect(created.id).toBe(credentialId(hashKey(created.key)));
    expect(Date.parse(created.expiresAt as string)).toBeGreaterThan(Date.now() + 89 * 86_400_000);

    expect((await t.call("GET", "/v1/tasks", { key: created.key })).status).toBe(200);
    const listing = await list();
    expect(JSON.stringify(listing)).not.toContain(created.key);
    const mine = listing.find((item) => item.id === created.id);
    expect(mine).toMatchObject({ source: "redis", revoked: false, principal: { kind: "org" } });
    expect(mine?.lastUsedAt).not.toBeNull();

    const revoke = await t.call("POST", `/v1/ops/credentials/${created.id}/revoke`, {
      key: testKeys.operator,
    });
    expect(revoke.status).toBe(200);
    expect(((await revoke.json()) as Listed).revoked).toBe(true);
    const refused = await t.call("GET", "/v1/tasks", { key: created.key });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");

    expect((await audit("credential.create")).map((e) => e.target)).toContain("org:street-a");
    expect((await audit("credential.revoke")).map((e) => [e.target, e.outcome])).toContainEqual([
      created.id,
      "accepted",
    ]);
  });

  it("records and refuses a viewer's attempt to revoke", async () => {
    const id = credentialId(hashKey(testKeys.platform));
    const res = await t.call("POST", `/v1/ops/credentials/${id}/revoke`, { key: testKeys.viewer });
    expect(res.status).toBe(403);
    expect((await audit("credential.revoke")).map((e) => [e.target, e.outcome])).toContainEqual([
      id,
      "denied",
    ]);
    expect((await t.call("GET", "/v1/signals/x", { key: testKeys.platform })).status).toBe(404);
  });

  it("revokes a configured key, and refuses keys the configuration lists as revoked", async () => {
    expect((await t.call("GET", "/v1/signals/x", { key: leakedConfigKey })).status).toBe(401);
    expect((await list()).find((item) => item.id === credentialId(hashKey(leakedConfigKey)))).toMatchObject({
      source: "config",
      revoked: true,
      revokedAt: null,
    });

    expect((await t.call("GET", "/v1/signals/x", { key: testKeys.otherPlatform })).status).toBe(404);
    const id = credentialId(hashKey(testKeys.otherPlatform));
    expect(
      (await t.call("POST", `/v1/ops/credentials/${id}/revoke`, { key: testKeys.operator })).status,
    ).toBe(200);
    expect((await t.call("GET", "/v1/signals/x", { key: testKeys.otherPlatform })).status).toBe(401);
    expect(
      (await t.call("POST", "/v1/ops/credentials/key_0000000000000000/revoke", { key: testKeys.operator }))
        .status,
    ).toBe(404);
  });

  it("closes /ops/queues to a revoked operator token at once, also for its cookie", async () => {
    const res = await t.call("POST", "/v1/ops/credentials", {
      key: testKeys.operator,
      body: { principal: { kind: "operator", name: "board-user", role: "viewer" } },
    });
    const created = (await res.json()) as Created;
    const signIn = await fetch(`${t.url}/ops/queues?token=${created.key}`, { redirect: "manual" });
    expect(signIn.status).toBe(303);
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] as string;
    expect((await fetch(`${t.url}/ops/queues/api/queues`, { headers: { cookie } })).status).toBe(200);

    await t.call("POST", `/v1/ops/credentials/${created.id}/revoke`, { key: testKeys.operator });
    expect((await fetch(`${t.url}/ops/queues/api/queues`, { headers: { cookie } })).status).toBe(401);
  });
});

describe("Credentials", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => redis?.destroy());

  it("refuses a key once its expiry has passed on the gateway's clock", async () => {
    const client = redis.client();
    let clock = Date.parse("2030-01-01T00:00:00Z");
    const credentials = new Credentials(new Map(), client, { now: () => clock });
    const key = await Credentials.create(
      client,
      { kind: "platform", id: "p" },
      { now: new Date(clock), expiresAt: new Date(clock + 60_000) },
    );
    expect(await credentials.resolve(key)).toEqual({ kind: "platform", id: "p" });
    clock += 59_999;
    expect(await credentials.resolve(key)).not.toBeNull();
    clock += 1;
    expect(await credentials.resolve(key)).toBeNull();
    client.disconnect();
  });

  it("drops its cached lookups when another process changes a key, without waiting for a time limit", async () => {
    const client = redis.client();
    const other = redis.client();
    const credentials = new Credentials(new Map(), client, { checkEveryMs: 50 });
    const key = await Credentials.create(client, { kind: "org", id: "o" });
    expect(await credentials.resolve(key)).not.toBeNull();
    expect(await Credentials.revoke(other, credentialId(hashKey(key)))).toBe("revoked");
    expect(await Credentials.revoke(other, credentialId(hashKey(key)))).toBe("already_revoked");
    const started = performance.now();
    while ((await credentials.resolve(key)) !== null) {
      expect(performance.now() - started).toBeLessThan(2_000);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    client.disconnect();
    other.disconnect();
  });
});
