#!/usr/bin/env node
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { ConfigError, loadConfig } from "../config/load.js";
import type { Gateway } from "../core/context.js";
import { DEV_MASTER_KEY, parseMasterKeyRing } from "../core/master-key.js";
import { startDemoReceiver } from "../runtime/demo-receiver.js";
import { RedisNotInstalledError } from "../runtime/local-redis.js";

const usage = `Usage: gigbridge <command> [options]

Commands:
  start        HTTP server and queue workers in one process (what \`npm start\` runs)
  serve        HTTP server only
  work         queue workers only
  keys create  --platform <id> | --org <id> [--expires-in 90d]
               print a new API key once (stored hashed in Redis)
  keys list    id, principal, created, last used of each key (never the key)
  keys revoke <id>   refuse a key from now on, in every gateway process
  init <dir>   write a production configuration, its credentials and a master key
  config check <file>  validate a configuration; with REDIS_URL, compare it with what runs
  rotate-master-key    move all data to the current master key (see --help)
  ops          operator console commands (see \`gigbridge ops --help\`)

Options for start/serve/work:
  --config <file>   configuration JSON (default: $GIGBRIDGE_CONFIG)
  --port <n>        HTTP port (default: $PORT, else 8787 for start and serve,
                    8790 for work, which serves only /healthz, /readyz and
                    /metrics there)
  --host <addr>     HTTP address (default: 127.0.0.1)
  --data-dir <dir>  where a locally started redis-server keeps its data
                    (default: $GIGBRIDGE_DATA_DIR or .data/redis)
  --dev             development mode: the documented dev master key when
                    GIGBRIDGE_MASTER_KEY is unset, a demo webhook receiver, and
                    readable log lines (coloured on a terminal) instead of JSON

Environment: REDIS_URL (required by serve and work; without it, start runs a
local redis-server with data in .data/redis): redis://[:password@]host:port for
one Redis, redis+cluster://[user:password@]host:port,host:port,... for a Redis
Cluster (any reachable nodes; rediss:// and rediss+cluster:// for TLS).
GIGBRIDGE_MASTER_KEY: <id>:<key> (base64 or hex, 32+ bytes), current key first;
previous keys follow, comma-separated, while a rotation runs.
Traces: set OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_TRACES_EXPORTER) and the other
standard OTEL_* variables to export spans for intake, processing and delivery.`;

const DEFAULT_PORT = 8787;
const DEFAULT_WORK_PORT = 8790;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
      return run(rest, { http: true, workers: true });
    case "serve":
      return run(rest, { http: true, workers: false });
    case "work":
      return run(rest, { http: false, workers: true });
    case "keys": {
      const { keysCommand } = await import("./keys.js");
      return keysCommand(rest);
    }
    case "init":
      return (await import("./init.js")).initCommand(rest);
    case "config":
      return (await import("../config/check.js")).configCommand(rest);
    case "rotate-master-key":
      return (await import("./rotate.js")).rotateCommand(rest);
    case "ops": {
      const { opsCommand } = await import("./ops.js");
      return opsCommand(rest);
    }
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(usage);
      return command === undefined ? 2 : 0;
    default:
      console.error(`gigbridge: unknown command "${command}"\n\n${usage}`);
      return 2;
  }
}

/** Node options that size the heap; when the operator gives any, the gateway leaves heap sizing alone. */
const HEAP_OPTIONS = /--(max-old-space-size|max-heap-size|heap-growing-percent)\b/;

/**
 * How far the heap may grow past its live size before the next full collection.
 * V8 picks the factor from the heap limit, and the limit from the machine's
 * memory: on a large host up to 4x, so a gateway with ~35 MB of live heap and a
 * high allocation rate sat at 200-270 MB RSS under load. 1.6x keeps it near
 * 160 MB at no CPU cost we could measure. Node options (or NODE_OPTIONS) that
 * size the heap take precedence: `--max-old-space-size` or `--heap-growing-percent`.
 */
const HEAP_GROWING_PERCENT = 60;

function limitHeapGrowth(): void {
  const given = `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`;
  if (!HEAP_OPTIONS.test(given)) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

/**
 * One-time console sign-in links for the dev operator and the dev orgs, from the credentials file beside
 * the dev config. A link holds a random token, never the key; it works once.
 */
async function devLoginLinks(gw: Gateway, configPath: string, url: string): Promise<string[]> {
  const file = join(dirname(configPath), "credentials.json");
  if (!existsSync(file)) return [];
  const dev = JSON.parse(readFileSync(file, "utf8")) as {
    orgs?: Record<string, string>;
    operators?: Record<string, { token: string; role: string }>;
  };
  const { createLoginLink } = await import("../console/session.js");
  const entries: [string, string][] = [
    ...Object.entries(dev.operators ?? {}).map(([name, op]): [string, string] => [
      `${name} (${op.role})`,
      op.token,
    ]),
    ...Object.entries(dev.orgs ?? {}).map(([id, key]): [string, string] => [`org ${id}`, key]),
  ];
  const lines = ["  Console sign-in (one-time links, dev only):"];
  for (const [who, key] of entries) {
    lines.push(`    ${who.padEnd(30)} ${url}/console/login/link/${await createLoginLink(gw, key)}`);
  }
  return lines;
}

async function run(args: string[], roles: { http: boolean; workers: boolean }): Promise<number> {
  limitHeapGrowth();
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      dev: { type: "boolean", default: false },
      "data-dir": { type: "string" },
    },
  });
  const configPath = values.config ?? process.env.GIGBRIDGE_CONFIG;
  if (!configPath) {
    console.error("gigbridge: give --config <file> or set GIGBRIDGE_CONFIG");
    return 2;
  }
  if (!process.env.REDIS_URL && !(roles.http && roles.workers)) {
    // A private Redis would leave this process sharing work with nobody.
    console.error("gigbridge: serve and work share Redis with the other processes: set REDIS_URL");
    return 2;
  }
  const config = await loadConfig(configPath);
  const masterKeyText = process.env.GIGBRIDGE_MASTER_KEY ?? (values.dev ? DEV_MASTER_KEY : undefined);
  if (!masterKeyText) {
    console.error(
      "gigbridge: set GIGBRIDGE_MASTER_KEY (32+ random bytes, base64), or use --dev for the demo",
    );
    return 2;
  }
  // Imported here so that `gigbridge ops ...` and `keys` do not load the whole gateway.
  const { runGateway } = await import("../runtime/start.js");
  const { startTracing } = await import("../runtime/tracing.js");
  // Before the gateway starts, so its first request is traced; only when OTEL_* variables ask for it.
  const stopTracing = await startTracing();
  // A person runs --dev at a terminal: readable lines. Anything else (production, a log shipper) gets JSON.
  const logger = values.dev ? await (await import("../core/logger.js")).createDevLogger() : undefined;
  const ring = parseMasterKeyRing(masterKeyText);
  const running = await runGateway({
    ...(logger ? { logger } : {}),
    config,
    masterKey: ring.current.key,
    masterKeyId: ring.current.id,
    previousMasterKeys: ring.previous,
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    dataDir: values["data-dir"] ?? process.env.GIGBRIDGE_DATA_DIR ?? ".data/redis",
    ...roles,
    // `work` has its own default, so `serve` and `work` side by side on one host do not collide.
    port: Number(values.port ?? process.env.PORT ?? (roles.http ? DEFAULT_PORT : DEFAULT_WORK_PORT)),
    host: values.host ?? "127.0.0.1",
  });
  const demo =
    values.dev && roles.workers ? await startDemoReceiver(8788, (line) => console.log(line)) : undefined;

  const lines = [
    `GigBridge is running (Redis: ${redact(running.redisUrl)}${process.env.REDIS_URL ? "" : ", started locally"})`,
  ];
  const url = running.server?.url;
  if (url && roles.http) {
    lines.push(
      `  API:              ${url}/v1`,
      `  API docs:         ${url}/docs  (OpenAPI: ${url}/openapi.json)`,
      `  Console:          ${url}/console  (queues: ${url}/ops/queues)`,
    );
  }
  if (url) lines.push(`  Health:           ${url}/healthz, ${url}/readyz  (metrics: ${url}/metrics)`);
  if (roles.workers)
    lines.push(`  Queue workers:    ${running.workers.map((w) => w.name).join(", ") || "none"}`);
  if (demo) lines.push(`  Demo receiver:    ${demo.url}/webhooks (prints each delivery)`);
  if (values.dev) lines.push("  Dev credentials:  examples/dev/credentials.json");
  if (values.dev && url && roles.http) lines.push(...(await devLoginLinks(running.gw, configPath, url)));
  lines.push("Press Ctrl-C to stop.");
  console.log(lines.join("\n"));

  let exitCode = 0;
  let redisWasDown = false;
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (reason: string) => {
      if (stopping) {
        console.error(`gigbridge: ${reason} again, exiting now`);
        process.exit(130);
      }
      stopping = true;
      redisWasDown = running.gw.redis.status !== "ready";
      // A backstop: shutdown has deadlines of its own (SHUTDOWN in runtime/start.ts), this catches anything stuck.
      setTimeout(
        () => {
          console.error("gigbridge: shutdown did not finish within its deadline; exiting");
          process.exit(1);
        },
        redisWasDown ? 2_900 : 30_000,
      ).unref();
      console.log("\nGigBridge: shutting down (finishing in-flight requests)...");
      running
        .close()
        .then(() => demo?.close())
        .then(() => stopTracing?.())
        .then(resolve, (error: unknown) => {
          console.error("gigbridge: error while shutting down:", (error as Error).message);
          resolve();
        });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    // The redis-server `start` runs could not be brought back: stop rather than run on without a store.
    void running.redisLost?.then((error) => {
      if (stopping) return;
      console.error(`gigbridge: ${error.message}. Stopping.`);
      exitCode = 1;
      stop("redis-server lost");
    });
  });
  console.log("GigBridge: stopped.");
  // Everything was closed; a connection still stuck on a dead Redis node must not keep the process up.
  setTimeout(() => process.exit(exitCode), redisWasDown ? 100 : 2000).unref();
  return exitCode;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof RedisNotInstalledError) {
      console.error(`gigbridge: ${error.message}`);
    } else {
      console.error("gigbridge:", error instanceof Error ? error.message : error);
    }
    // Exit now: a half-started gateway may hold sockets open.
    process.exit(1);
  },
);
