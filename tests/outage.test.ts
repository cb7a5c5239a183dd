import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { afterEach, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "packages/gateway/dist/cli/main.js");

interface Gigbridge {
  child: ChildProcess;
  output: () => string;
  base: string;
}

async function startGateway(redis: RedisServer): Promise<Gigbridge> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [cli, "start", "--config", "examples/dev/config.json", "--port", String(port)],
    {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
        LOG_LEVEL: "info",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, {
    timeoutMs: 20_000,
    description: "readyz 200",
  });
  return { child, output: () => output, base };
}

/** Log lines (pino JSON) at warn level or above. */
const warnings = (text: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.level >= 40);

describe("a gateway while its Redis is away", () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0)) await fn();
  });

  it("logs one warning when Redis goes and one line when it is back, over a 10 s outage", async () => {
    const redis = await RedisServer.start();
    cleanup.push(() => redis.destroy());
    const gateway = await startGateway(redis);
    cleanup.push(async () => gateway.child.kill("SIGKILL"));
    const before = gateway.output().length;

    await redis.kill();
    // The outage itself: ten seconds of four queue workers failing to reach Redis.
    await new Promise((done) => setTimeout(done, 10_000));
    const during = gateway.output().slice(before);
    await redis.restart();
    await waitFor(() => gateway.output().includes("Redis connection back"), {
      timeoutMs: 10_000,
      description: "the line saying Redis is back",
    });
    const lines = warnings(during);
    console.log(`warning lines during a 10 s outage: ${lines.length}`);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringContaining("Redis connection lost")]);
    const back = gateway
      .output()
      .split("\n")
      .filter((line) => line.includes("Redis connection back"));
    expect(back).toHaveLength(1);
    expect(back[0]).toMatch(/"downMs":\d{5}/);
    expect(back[0]).toMatch(/"suppressed":[1-9]/);
  });

  it("stops within 3 s on SIGINT while Redis is unreachable", async () => {
    const redis = await RedisServer.start();
    cleanup.push(() => redis.destroy());
    const gateway = await startGateway(redis);
    cleanup.push(async () => gateway.child.kill("SIGKILL"));
    await redis.kill();
    await waitFor(async () => (await fetch(`${gateway.base}/readyz`)).status === 503, {
      timeoutMs: 5_000,
      description: "readyz 503",
    });
    const exited = new Promise<number | null>((done) => gateway.child.once("exit", done));
    const started = performance.now();
    gateway.child.kill("SIGINT");
    const code = await exited;
    const ms = performance.now() - started;
    console.log(`shutdown with Redis down took ${Math.round(ms)} ms`);
    expect(ms).toBeLessThan(3_000);
    expect(code).toBe(0);
  });
});
