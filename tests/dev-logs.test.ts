import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * What the gateway prints, as the CLI runs it. `--dev` at a terminal: readable coloured lines; piped:
 * the same without colour; without `--dev`: JSON lines as before. With OTEL_* variables set, spans go
 * to the configured OTLP endpoint.
 *
 * These run `gigbridge serve` (the same logging as `start`) on a Redis of the test's own, so they do
 * not compete with other tests for the `--dev` demo receiver's fixed port.
 */

const root = resolve(import.meta.dirname, "..");
const cli = join(root, "packages/gateway/dist/cli/main.js");
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);
const platformKey = "gb_pk_dev_demo_delivery_0123456789abcdef";

interface Run {
  base: string;
  output(): string;
  stop(): Promise<void>;
}

const running: Run[] = [];

async function serve(
  redisUrl: string,
  options: { dev: boolean; tty: boolean; env?: NodeJS.ProcessEnv },
): Promise<Run> {
  const port = await freePort();
  const args = [cli, "serve", "--config", "examples/dev/config.json", "--port", String(port)];
  if (options.dev) args.push("--dev");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redisUrl,
    LOG_LEVEL: "info",
    GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
    ...options.env,
  };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  // `script` gives the gateway a pseudo-terminal as stdout, as a person's shell would.
  const child: ChildProcess = options.tty
    ? spawn("script", ["-qfec", [process.execPath, ...args].map((a) => `'${a}'`).join(" "), "/dev/null"], {
        cwd: root,
        env,
        stdio: ["pipe", "pipe", "pipe"],
        detached: true,
      })
    : spawn(process.execPath, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const run: Run = {
    base: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop() {
      try {
        process.kill(-(child.pid as number), "SIGTERM");
      } catch {
        // already gone
      }
      await exited;
    },
  };
  running.push(run);
  await waitFor(() => output.includes("Press Ctrl-C"), {
    timeoutMs: 20_000,
    description: `startup banner; got: ${output}`,
  });
  return run;
}

/** Makes one logged request (probes are not logged) and returns the output's line that matches `line`. */
async function logOneRequest(run: Run, line: RegExp): Promise<string> {
  expect((await fetch(`${run.base}/openapi.json`)).status).toBe(200);
  return waitFor(
    () =>
      run
        .output()
        .split(/\r?\n/)
        .find((l) => line.test(l)),
    {
      description: `the request line; got: ${run.output()}`,
    },
  );
}

describe("gateway logs, for people and for machines", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(running.map((run) => run.stop()));
    await redis?.destroy();
  });

  it("--dev on a terminal prints readable, coloured lines", async () => {
    const run = await serve(redis.url, { dev: true, tty: true });
    const line = await logOneRequest(run, /INFO.*request/);
    expect(line).toMatch(ANSI);
    const plain = line.replace(new RegExp(ANSI.source, "g"), "");
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request/);
    expect(run.output().replace(new RegExp(ANSI.source, "g"), "")).toContain('route: "/openapi.json"');
    await run.stop();
  });

  it("--dev piped prints the same lines without colour", async () => {
    const run = await serve(redis.url, { dev: true, tty: false });
    const line = await logOneRequest(run, /INFO.*request/);
    expect(line).not.toMatch(ANSI);
    expect(line).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request$/);
    expect(run.output()).toContain('route: "/openapi.json"');
    expect(run.output()).not.toMatch(/^\{"level"/m);
    await run.stop();
  });

  it("without --dev, logs stay JSON, on a terminal too", async () => {
    const run = await serve(redis.url, { dev: false, tty: true });
    const line = await logOneRequest(run, /"msg":"request"/);
    expect(line).not.toMatch(ANSI);
    expect(JSON.parse(line.trim())).toMatchObject({
      level: 30,
      service: "gigbridge",
      msg: "request",
      route: "/openapi.json",
      method: "GET",
      status: 200,
    });
    await run.stop();
  });
});

describe("spans exported where OTEL_EXPORTER_OTLP_ENDPOINT says", () => {
  let redis: RedisServer;
  let collector: Server;
  const exports: { path: string; type: string; body: Buffer }[] = [];
  beforeAll(async () => {
    redis = await RedisServer.start();
    collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        exports.push({
          path: req.url ?? "",
          type: String(req.headers["content-type"]),
          body: Buffer.concat(chunks),
        });
        res.writeHead(200, { "content-type": "application/x-protobuf" }).end();
      });
    });
    await new Promise<void>((done) => collector.listen(0, "127.0.0.1", () => done()));
  });
  afterAll(async () => {
    await Promise.all(running.map((run) => run.stop()));
    collector?.close();
    await redis?.destroy();
  });

  it("sends the intake span, in the platform's trace, to the OTLP collector", async () => {
    const address = collector.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const run = await serve(redis.url, {
      dev: false,
      tty: false,
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_BSP_SCHEDULE_DELAY: "50" },
    });
    const traceId = randomBytes(16).toString("hex");
    const response = await fetch(`${run.base}/v1/signals`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${platformKey}`,
        "content-type": "application/json",
        traceparent: `00-${traceId}-${randomBytes(8).toString("hex")}-01`,
      },
      body: JSON.stringify({
        id: "otlp-1",
        type: "station.updated",
        occurredAt: "2026-12-01T08:00:00+08:00",
        data: { stationId: "st-1", name: "Station", regionCode: "110105001", headcount: 3 },
      }),
    });
    expect(response.status).toBe(202);
    const sent = await waitFor(
      () =>
        exports.find(
          (e) =>
            e.body.includes(Buffer.from(traceId, "hex")) && e.body.includes(Buffer.from("gigbridge.intake")),
        ),
      { description: "an OTLP export with the intake span" },
    );
    expect(sent.path).toBe("/v1/traces");
    expect(sent.type).toBe("application/x-protobuf");
    expect(sent.body.includes(Buffer.from("gigbridge"))).toBe(true);
    await run.stop();
  });
});
