import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, waitFor } from "@gigbridge/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "packages/gateway/dist/cli/main.js");

/**
 * What `npm start` runs, as a newcomer runs it: no REDIS_URL, so the gateway
 * starts its own redis-server, serves the demo configuration, and leaves
 * nothing behind after Ctrl-C.
 */
describe("gigbridge start --dev (what npm start runs)", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "gigbridge-start-"));
  let child: ChildProcess | undefined;
  afterAll(async () => {
    child?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("starts its own Redis, reports readiness, survives a Redis crash and stops cleanly", async () => {
    const port = await freePort();
    const env = { ...process.env };
    delete env.REDIS_URL;
    delete env.GIGBRIDGE_MASTER_KEY;
    child = spawn(
      process.execPath,
      [
        cli,
        "start",
        "--config",
        "examples/dev/config.json",
        "--dev",
        "--port",
        String(port),
        "--data-dir",
        dataDir,
      ],
      { cwd: root, env: { ...env, LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(() => output.includes("Press Ctrl-C"), {
      timeoutMs: 20_000,
      description: `startup banner; got: ${output}`,
    });
    expect(output).toContain(`${base}/docs`);
    expect(output).toContain(`${base}/ops/queues`);
    expect(output).toContain(`${base}/console`);
    // The banner's sign-in link for the dev operator starts a console session once, and holds no key.
    const link = output.match(/dev-operator \(operator\)\s+(http:\/\/\S+\/console\/login\/link\/\S+)/)?.[1];
    expect(link).toBeDefined();
    expect(output).not.toContain("gb_op_dev_operator");
    const signedIn = await fetch(link as string, { redirect: "manual" });
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.getSetCookie().join(";")).toMatch(/gb_console=.*HttpOnly/i);
    expect((await fetch(link as string, { redirect: "manual" })).status).toBe(401);
    const redisUrl = output.match(/Redis: (redis:\/\/127\.0\.0\.1:\d+), started locally/)?.[1];
    expect(redisUrl).toBeDefined();
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, { description: "readyz 200" });

    // Kill the gateway's Redis as a crash would: `start` supervises it, starts it again on the same
    // port with the same data directory, says so in one line, and the data is intact.
    const probe = new Redis(redisUrl as string, { maxRetriesPerRequest: null });
    probe.on("error", () => {});
    await probe.set("gb:test:survives", "yes");
    const pid = Number((await probe.info("server")).match(/process_id:(\d+)/)?.[1]);
    process.kill(pid, "SIGKILL");
    await waitFor(() => output.includes("restarted it on port"), {
      timeoutMs: 10_000,
      description: `restart line; got: ${output}`,
    });
    expect(output.match(/restarted it on port/g)).toHaveLength(1);
    expect(await probe.get("gb:test:survives")).toBe("yes");
    const newPid = Number((await probe.info("server")).match(/process_id:(\d+)/)?.[1]);
    expect(newPid).not.toBe(pid);
    probe.disconnect();
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
      description: "readyz back to 200",
    });

    const exited = new Promise<number | null>((done) => child?.once("exit", (code) => done(code)));
    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(output).toContain("GigBridge: stopped.");
  });

  it("leaves no redis-server or node process behind after Ctrl-C", async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: "warn" };
    delete env.REDIS_URL;
    const run = spawn(
      process.execPath,
      [
        cli,
        "start",
        "--config",
        "examples/dev/config.json",
        "--dev",
        "--port",
        String(port),
        "--data-dir",
        dataDir,
      ],
      { cwd: root, env, stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    run.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    await waitFor(() => output.includes("Press Ctrl-C"), {
      timeoutMs: 20_000,
      description: "startup banner",
    });
    const redisUrl = output.match(/Redis: (redis:\/\/127\.0\.0\.1:\d+), started locally/)?.[1] as string;
    const probe = new Redis(redisUrl);
    const redisPid = Number((await probe.info("server")).match(/process_id:(\d+)/)?.[1]);
    probe.disconnect();

    const exited = new Promise<number | null>((done) => run.once("exit", (code) => done(code)));
    run.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(isAlive(redisPid)).toBe(false);
    expect(isAlive(run.pid as number)).toBe(false);
  });

  it("exits with a one-line hint when redis-server is not installed", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: "/nonexistent" };
    delete env.REDIS_URL;
    const run = spawn(
      process.execPath,
      [cli, "start", "--config", "examples/dev/config.json", "--dev", "--port", "0", "--data-dir", dataDir],
      {
        cwd: root,
        env,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stderr = "";
    run.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => run.once("exit", (c) => done(c)));
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/redis-server was not found: install Redis .* or set REDIS_URL/);
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
