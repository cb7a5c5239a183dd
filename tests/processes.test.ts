import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exit, gigbridge } from "./support/cli.js";

const orgKey = "gb_ok_dev_jianwai_street_0123456789ab";

/** The production layout: API processes and worker processes scaled apart, sharing one Redis. */
describe("gigbridge serve + gigbridge work", () => {
  let redis: RedisServer;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    for (const child of children) {
      child.kill("SIGTERM");
      await exit(child);
    }
    await redis?.destroy();
  });

  it("refuse to run without REDIS_URL, since a private Redis would share work with nobody", async () => {
    const env = { ...process.env };
    delete env.REDIS_URL;
    const run = gigbridge(["work", "--config", "examples/dev/config.json"], env);
    expect(await exit(run.child)).toBe(2);
    expect(run.output()).toContain("set REDIS_URL");
  });

  it("give work a default port of its own (8790), so it can run beside serve (8787) on one host", async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      REDIS_URL: redis.url,
      GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "warn",
    };
    delete env.PORT;
    const worker = gigbridge(["work", "--config", "examples/dev/config.json"], env);
    children.push(worker.child);
    await waitFor(() => worker.output().includes("Press Ctrl-C"), {
      timeoutMs: 20_000,
      description: "banner",
    });
    expect(worker.output()).toContain("http://127.0.0.1:8790/healthz");
    expect((await fetch("http://127.0.0.1:8790/readyz")).status).toBe(200);
    worker.child.kill("SIGTERM");
    expect(await exit(worker.child)).toBe(0);
  });

  it("split intake and processing across processes; the worker serves its own health and metrics", async () => {
    const env = {
      ...process.env,
      REDIS_URL: redis.url,
      GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
      LOG_LEVEL: "warn",
    };
    const apiPort = await freePort();
    const workerPort = await freePort();
    const api = gigbridge(["serve", "--config", "examples/dev/config.json", "--port", String(apiPort)], env);
    const worker = gigbridge(
      ["work", "--config", "examples/dev/config.json", "--port", String(workerPort)],
      env,
    );
    children.push(api.child, worker.child);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const workerUrl = `http://127.0.0.1:${workerPort}`;
    for (const url of [apiUrl, workerUrl]) {
      await waitFor(async () => (await fetch(`${url}/readyz`).catch(() => undefined))?.status === 200, {
        timeoutMs: 20_000,
        description: `${url}/readyz`,
      });
    }
    // The worker process serves no API.
    expect((await fetch(`${workerUrl}/v1/tasks`)).status).toBe(404);

    const signal = {
      id: "split-1",
      type: "appeal.raised",
      occurredAt: "2026-11-29T09:00:00+08:00",
      data: {
        workerId: "w_9",
        category: "accident",
        urgency: "urgent",
        summary: "Hurt on shift",
        regionCode: "110105001",
      },
    };
    // A key made with `gigbridge keys create` works at once on every process sharing the Redis.
    const created = gigbridge(["keys", "create", "--platform", "demo-delivery"], env);
    expect(await exit(created.child)).toBe(0);
    const newKey = created.output().match(/^gb_pk_\S+$/m)?.[0] ?? "";
    expect(newKey).toMatch(/^gb_pk_/);
    expect(created.output()).toContain("shown only now");
    // A platform that is in no configuration gets no key: it would authenticate a principal nothing routes.
    const unknown = gigbridge(["keys", "create", "--platform", "nope"], env);
    expect(await exit(unknown.child)).toBe(2);
    expect(unknown.output()).toContain("no platform nope");
    expect(unknown.output()).not.toMatch(/gb_pk_/);

    const sent = await fetch(`${apiUrl}/v1/signals`, {
      method: "POST",
      headers: { authorization: `Bearer ${newKey}`, "content-type": "application/json" },
      body: JSON.stringify(signal),
    });
    expect(sent.status).toBe(202);
    // Only its hash is stored.
    const client = redis.client();
    const stored = JSON.stringify(await client.hgetall("gb:credentials"));
    client.disconnect();
    expect(stored).not.toContain(newKey);
    const tasks = await waitFor(
      async () => {
        const res = await fetch(`${apiUrl}/v1/tasks`, { headers: { authorization: `Bearer ${orgKey}` } });
        const body = (await res.json()) as { items: { kind: string; signalId: string }[] };
        return body.items.find((x) => x.signalId === "split-1") ? body : undefined;
      },
      { description: "the task made by the worker process" },
    );
    expect(tasks.items.map((x) => x.kind)).toContain("follow_up_appeal");
    const metrics = await (await fetch(`${workerUrl}/metrics`)).text();
    expect(metrics).toMatch(/gigbridge_tasks_created_total\{[^}]*kind="follow_up_appeal"[^}]*\} 1/);
  });
});
