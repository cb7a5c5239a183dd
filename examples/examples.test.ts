import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

interface Running {
  child: ChildProcess;
  output: () => string;
}

function run(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once("exit", (code) => done(code)));
}

/** The two examples, run as a user runs them, against a real gateway and Redis. */
describe("examples", () => {
  const dir = mkdtempSync(join(tmpdir(), "gigbridge-examples-"));
  let redis: RedisServer;
  let gateway: Running;
  let receiver: Running;
  let cjsReceiver: Running;
  let gatewayUrl: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const receiverPort = await freePort();
    const cjsReceiverPort = await freePort();
    // The demo configuration, with the Jianwai street's endpoint pointed at the example receiver
    // and a second endpoint of the same street at the CommonJS one.
    const config = JSON.parse(readFileSync(join(root, "examples/dev/config.json"), "utf8")) as {
      endpoints: { id: string; url: string }[];
    };
    const jianwai = config.endpoints.find((e) => e.id === "ep-jianwai-demo")!;
    config.endpoints = [
      { ...jianwai, url: `http://127.0.0.1:${receiverPort}/webhooks` },
      { ...jianwai, id: "ep-jianwai-cjs", url: `http://127.0.0.1:${cjsReceiverPort}/webhooks` },
    ];
    const configPath = join(dir, "config.json");
    writeFileSync(configPath, JSON.stringify(config));

    receiver = run(["--import", "tsx", "examples/org-receiver/main.ts"], { PORT: String(receiverPort) });
    await waitFor(() => receiver.output().includes("listening"), { description: "receiver to listen" });
    // Plain node, no TypeScript loader: the CommonJS example runs as such a service would.
    cjsReceiver = run(["examples/org-receiver-cjs/main.js"], {
      PORT: String(cjsReceiverPort),
      ENDPOINT_ID: "ep-jianwai-demo",
    });
    await waitFor(() => cjsReceiver.output().includes("listening"), {
      description: `CommonJS receiver to listen; it said: ${cjsReceiver.output()}`,
    });

    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    gateway = run(
      ["packages/gateway/dist/cli/main.js", "start", "--config", configPath, "--port", String(port)],
      {
        REDIS_URL: redis.url,
        GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
        LOG_LEVEL: "warn",
      },
    );
    await waitFor(async () => (await fetch(`${gatewayUrl}/readyz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 20_000,
      description: "gateway ready",
    });
  });

  afterAll(async () => {
    for (const r of [gateway, receiver, cjsReceiver]) {
      if (r && r.child.exitCode === null) {
        r.child.kill("SIGTERM");
        await exitOf(r.child);
      }
    }
    await redis?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivery-platform sends signals through the SDK; org-receiver (Hono) and org-receiver-cjs (Express, CommonJS) verify the task webhooks", async () => {
    const platform = run(["--import", "tsx", "examples/delivery-platform/main.ts"], {
      GIGBRIDGE_URL: gatewayUrl,
      RUN_ID: "e2e",
    });
    expect(await exitOf(platform.child), platform.output()).toBe(0);
    expect(platform.output()).toContain("declared: declare-e2e accepted");
    expect(platform.output()).toContain("activities: 5 accepted, 0 duplicates");
    expect(platform.output()).toMatch(/refused locally: .*\/data\/regionCode/);

    await waitFor(() => receiver.output().includes("verified task.created: register_member"), {
      timeoutMs: 15_000,
      description: `the register_member task at the receiver; receiver said: ${receiver.output()}`,
    });
    expect(receiver.output()).not.toContain("refused a delivery");
    await waitFor(() => cjsReceiver.output().includes("verified task.created: register_member"), {
      timeoutMs: 15_000,
      description: `the register_member task at the CommonJS receiver; it said: ${cjsReceiver.output()}`,
    });
  });
});
