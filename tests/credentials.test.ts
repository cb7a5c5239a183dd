import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exit, gigbridge, run } from "./support/cli.js";

const config = "examples/dev/config.json";
const devOrgKey = "gb_ok_dev_jianwai_street_0123456789ab";
const devViewer = "gb_op_dev_viewer_0123456789abcdef0123";

/** Two `serve` processes on one Redis; keys are made, listed and revoked with the CLI in between. */
describe("key revocation across gateway processes", () => {
  let redis: RedisServer;
  let env: NodeJS.ProcessEnv;
  const urls: string[] = [];
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    env = {
      ...process.env,
      REDIS_URL: redis.url,
      GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "warn",
    };
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      children.push(gigbridge(["serve", "--config", config, "--port", String(port)], env).child);
      urls.push(`http://127.0.0.1:${port}`);
    }
    for (const url of urls) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, {
        timeoutMs: 20_000,
        description: `${url}/readyz`,
      });
    }
  });
  afterAll(async () => {
    for (const child of children) {
      child.kill("SIGTERM");
      await exit(child);
    }
    await redis?.destroy();
  });

  const status = async (url: string, key: string) =>
    (await fetch(`${url}/v1/tasks`, { headers: { authorization: `Bearer ${key}` } })).status;

  /** Milliseconds until every process answers 401 for the key; fails past 2 s. */
  async function refusedEverywhereWithin(key: string): Promise<number> {
    const started = performance.now();
    await waitFor(
      async () => (await Promise.all(urls.map((url) => status(url, key)))).every((s) => s === 401),
      {
        timeoutMs: 2_000,
        intervalMs: 20,
        description: "every process refuses the revoked key",
      },
    );
    return performance.now() - started;
  }

  it("lists keys without revealing them, and every process refuses a revoked key within 2 s", async () => {
    const created = await run(["keys", "create", "--org", "bj-chaoyang-jianwai", "--expires-in", "30d"], env);
    expect(created.code).toBe(0);
    const key = created.output.match(/^gb_ok_\S+$/m)?.[0] as string;
    const id = created.output.match(/id (key_[0-9a-f]{16})/)?.[1] as string;
    expect(id).toBeDefined();
    // Both processes have looked the key up and cached the answer.
    for (const url of urls) expect(await status(url, key)).toBe(200);

    const listed = await run(["keys", "list", "--json"], env);
    expect(listed.code).toBe(0);
    expect(listed.output).not.toContain(key);
    const items = (
      JSON.parse(listed.output) as { items: { id: string; lastUsedAt: string | null; expiresAt: string }[] }
    ).items;
    const mine = items.find((item) => item.id === id);
    expect(mine?.lastUsedAt).not.toBeNull();
    expect(Date.parse(mine?.expiresAt as string)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const revoked = await run(["keys", "revoke", id], env);
    expect(revoked.code).toBe(0);
    const ms = await refusedEverywhereWithin(key);
    console.log(`revoked key refused by both processes ${Math.round(ms)} ms after \`keys revoke\` returned`);

    const audit = (await (
      await fetch(`${urls[0]}/v1/ops/audit?action=credential.revoke`, {
        headers: { authorization: `Bearer ${devViewer}` },
      })
    ).json()) as { items: { target: string; operator: string }[] };
    expect(audit.items.map((e) => e.target)).toContain(id);
    expect(audit.items[0]?.operator).toMatch(/^cli:/);
  });

  it("revokes a configured key and an operator token the same way", async () => {
    for (const url of urls) expect(await status(url, devOrgKey)).toBe(200);
    const withoutConfig = await run(["keys", "list", "--json"], { ...env, GIGBRIDGE_CONFIG: "" });
    expect(withoutConfig.output).not.toContain('bj-chaoyang-jianwai","source":"config');
    const listed = await run(
      ["keys", "list", "--org", "bj-chaoyang-jianwai", "--config", config, "--json"],
      env,
    );
    const configured = (JSON.parse(listed.output) as { items: { id: string; source: string }[] }).items.find(
      (item) => item.source === "config",
    );
    expect(configured).toBeDefined();
    expect(
      (await run(["keys", "revoke", configured?.id as string], { ...env, GIGBRIDGE_CONFIG: "" })).code,
    ).toBe(4);
    expect((await run(["keys", "revoke", configured?.id as string, "--config", config], env)).code).toBe(0);
    await refusedEverywhereWithin(devOrgKey);

    const token = await run(["ops", "token", "create", "--role", "viewer", "--name", "leaky", "--json"], env);
    const { token: value, id } = JSON.parse(token.output.split("\n")[0] as string) as {
      token: string;
      id: string;
    };
    const opsStatus = async (url: string) =>
      (await fetch(`${url}/v1/ops/audit`, { headers: { authorization: `Bearer ${value}` } })).status;
    for (const url of urls) expect(await opsStatus(url)).toBe(200);
    const tokens = await run(["ops", "token", "list"], env);
    expect(tokens.output).toContain(id);
    expect(tokens.output).not.toContain(value);
    expect((await run(["ops", "token", "revoke", id], env)).code).toBe(0);
    await waitFor(async () => (await Promise.all(urls.map(opsStatus))).every((s) => s === 401), {
      timeoutMs: 2_000,
      intervalMs: 20,
      description: "every process refuses the revoked operator token",
    });
  });
});
