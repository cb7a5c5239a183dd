import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exit, gigbridge, run } from "./support/cli.js";

/** KEY=value lines of an env file, comments skipped. */
function envFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

describe("gigbridge init, config check, serve + work from its output", () => {
  let redis: RedisServer;
  let dir: string;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    dir = mkdtempSync(join(tmpdir(), "gigbridge-init-"));
  });
  afterAll(async () => {
    for (const child of children) {
      child.kill("SIGTERM");
      await exit(child);
    }
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes a configuration with hashes only, credentials and a master key readable by the owner only", async () => {
    const made = await run(
      [
        "init",
        dir,
        "--platform",
        "acme-rides",
        "--org",
        "district:110105",
        "--org",
        "street:110105001:district",
      ],
      process.env,
    );
    expect(made.code, made.output).toBe(0);
    const config = readFileSync(join(dir, "gigbridge.json"), "utf8");
    const credentials = JSON.parse(readFileSync(join(dir, "credentials.json"), "utf8"));
    expect(credentials.platforms["acme-rides"]).toMatch(/^gb_pk_/);
    expect(credentials.orgs.street).toMatch(/^gb_ok_/);
    expect(credentials.operators.admin.token).toMatch(/^gb_op_/);
    for (const key of [
      credentials.platforms["acme-rides"],
      credentials.orgs.street,
      credentials.operators.admin.token,
    ]) {
      expect(config).not.toContain(key);
    }
    expect(config).toMatch(/"sha256:[0-9a-f]{64}"/);
    for (const file of ["gigbridge.env", "credentials.json"]) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(envFile(join(dir, "gigbridge.env")).GIGBRIDGE_MASTER_KEY).toMatch(/^k1:[A-Za-z0-9+/]{43}=$/);
    // A second init does not overwrite the first one's keys.
    const again = await run(["init", dir], process.env);
    expect(again.code).toBe(2);
    expect(again.output).toContain("--force");
  });

  it("config check names every problem by its JSON Pointer", async () => {
    const bad = JSON.parse(readFileSync(join(dir, "gigbridge.json"), "utf8"));
    bad.orgs[1].parent = "nowhere";
    bad.orgs[0].keyHashes = ["md5:abc"];
    bad.platforms[0].colour = "red";
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify(bad));
    const checked = await run(["config", "check", path], { ...process.env, REDIS_URL: "" });
    expect(checked.code).toBe(1);
    expect(checked.output).toContain("/orgs/0/keyHashes/0:");
    expect(checked.output).toContain("/platforms/0/colour: unknown field");
    // The cross-reference checks run once the shape is right.
    delete bad.platforms[0].colour;
    bad.orgs[0].keyHashes = [];
    writeFileSync(path, JSON.stringify(bad));
    const refs = await run(["config", "check", path], { ...process.env, REDIS_URL: "" });
    expect(refs.code).toBe(1);
    expect(refs.output).toContain("/orgs/1/parent: parent must be the id of a configured org");
  });

  it("serve and work start from init's files; the generated keys send a signal and pull its task", async () => {
    const generated = envFile(join(dir, "gigbridge.env"));
    const credentials = JSON.parse(readFileSync(join(dir, "credentials.json"), "utf8"));
    const env = { ...process.env, ...generated, REDIS_URL: redis.url, LOG_LEVEL: "warn" };
    const apiPort = await freePort();
    const workerPort = await freePort();
    // No --config: GIGBRIDGE_CONFIG from the env file names it.
    const api = gigbridge(["serve", "--port", String(apiPort)], env);
    const worker = gigbridge(["work", "--port", String(workerPort)], env);
    children.push(api.child, worker.child);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    for (const url of [apiUrl, `http://127.0.0.1:${workerPort}`]) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, {
        timeoutMs: 20_000,
        description: `${url}/readyz (${api.output()} ${worker.output()})`,
      });
    }
    const sent = await fetch(`${apiUrl}/v1/signals`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${credentials.platforms["acme-rides"]}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        id: "init-1",
        type: "appeal.raised",
        occurredAt: "2026-11-29T09:00:00+08:00",
        data: {
          workerId: "w_1",
          category: "wages",
          urgency: "normal",
          summary: "Unpaid",
          regionCode: "110105001",
        },
      }),
    });
    expect(sent.status).toBe(202);
    const task = await waitFor(
      async () => {
        const res = await fetch(`${apiUrl}/v1/tasks`, {
          headers: { authorization: `Bearer ${credentials.orgs.street}` },
        });
        const body = (await res.json()) as { items: { kind: string; signalId: string; orgId: string }[] };
        return body.items.find((x) => x.signalId === "init-1");
      },
      { description: "the task, pulled with the generated org key" },
    );
    expect(task.kind).toBe("follow_up_appeal");

    // The running directory now knows the file; a changed file and a run-time org show as differences.
    const same = await run(["config", "check", generated.GIGBRIDGE_CONFIG as string], env);
    expect(same.code, same.output).toBe(0);
    expect(same.output).toContain("Same as the running directory.");
    const operator = credentials.operators.admin.token as string;
    const added = await fetch(`${apiUrl}/v1/ops/orgs`, {
      method: "POST",
      headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
      body: JSON.stringify({
        id: "street-2",
        code: "S2",
        name: "Street 2",
        kind: "street_committee",
        parent: "district",
        regions: ["110105002"],
      }),
    });
    expect(added.status).toBeLessThan(300);
    const changed = JSON.parse(readFileSync(generated.GIGBRIDGE_CONFIG as string, "utf8"));
    changed.platforms.push({ id: "beta-couriers", name: "Beta", keyHashes: [] });
    changed.orgs[1].regions = ["110105001", "110105003"];
    const path = join(dir, "changed.json");
    writeFileSync(path, JSON.stringify(changed));
    const diff = await run(["config", "check", path], env);
    expect(diff.code, diff.output).toBe(0);
    expect(diff.output).toContain("platform beta-couriers: added by this file");
    expect(diff.output).toContain("org street: changed by this file");
    expect(diff.output).toContain("org street-2: added at run time, not in this file");
  });

  it("rotate-master-key moves the data to a new key from the env file's key ring, and says when it is done", async () => {
    const generated = envFile(join(dir, "gigbridge.env"));
    const env = { ...process.env, ...generated, REDIS_URL: redis.url, LOG_LEVEL: "warn" };
    const alone = await run(["rotate-master-key"], env);
    expect(alone.code).toBe(2);
    expect(alone.output).toContain("holds one key");
    const ring = `k2:${Buffer.alloc(32, 9).toString("base64")},${generated.GIGBRIDGE_MASTER_KEY}`;
    const rotated = await run(["rotate-master-key", "--operator", "alice"], {
      ...env,
      GIGBRIDGE_MASTER_KEY: ring,
    });
    expect(rotated.code, rotated.output).toBe(0);
    expect(rotated.output).toContain("pass done");
    expect(rotated.output).toContain("nothing needs the previous key(s) k1 any more");
  });
});
