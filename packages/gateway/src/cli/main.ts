#!/usr/bin/env node
import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { ConfigError, loadConfig } from "../config/load.js";
import { Credentials, type Principal } from "../core/credentials.js";
import { DEV_MASTER_KEY, parseMasterKeyRing } from "../core/master-key.js";
import { commandConnection, connect } from "../core/redis.js";
import { startDemoReceiver } from "../runtime/demo-receiver.js";
import { RedisNotInstalledError } from "../runtime/local-redis.js";

const usage = `Usage: gigbridge <command> [options]

Commands:
  start        HTTP server and queue workers in one process (what \`npm start\` runs)
  serve        HTTP server only
  work         queue workers only
  keys create  --platform <id> | --org <id>   print a new API key once (stored hashed in Redis)
  init <dir>   write a production configuration, its credentials and a master key
  config check <file>  validate a configuration; with REDIS_URL, compare it with what runs
  rotate-master-key    move all data to the current master key (see --help)
  ops          operator console commands (see \`gigbridge ops --help\`)

Options for start/serve/work:
  --config <file>   configuration JSON (default: $GIGBRIDGE_CONFIG)
  --port <n>        HTTP port (default: $PORT or 8787); \`work\` serves only
                    /healthz, /readyz and /metrics there
  --host <addr>     HTTP address (default: 127.0.0.1)
  --data-dir <dir>  where a locally started redis-server keeps its data
                    (default: $GIGBRIDGE_DATA_DIR or .data/redis)
  --dev             development mode: the documented dev master key when
                    GIGBRIDGE_MASTER_KEY is unset, and a demo webhook receiver

Environment: REDIS_URL (required by serve and work; without it, start runs a
local redis-server with data in .data/redis): redis://[:password@]host:port for
one Redis, redis+cluster://[user:password@]host:port,host:port,... for a Redis
Cluster (any reachable nodes; rediss:// and rediss+cluster:// for TLS).
GIGBRIDGE_MASTER_KEY: <id>:<key> (base64 or hex, 32+ bytes), current key first;
previous keys follow, comma-separated, while a rotation runs.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case "start":
      return run(rest, { http: true, workers: true });
    case "serve":
      return run(rest, { http: true, workers: false });
    case "work":
      return run(rest, { http: false, workers: true });
    case "keys":
      return keys(rest);
    case "init":
      return (await import("./init.js")).initCommand(rest);
    case "config":
      return (await import("./config-check.js")).configCommand(rest);
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
  const ring = parseMasterKeyRing(masterKeyText);
  const running = await runGateway({
    config,
    masterKey: ring.current.key,
    masterKeyId: ring.current.id,
    previousMasterKeys: ring.previous,
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    dataDir: values["data-dir"] ?? process.env.GIGBRIDGE_DATA_DIR ?? ".data/redis",
    ...roles,
    port: Number(values.port ?? process.env.PORT ?? 8787),
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
      `  Operator console: ${url}/ops/queues`,
    );
  }
  if (url) lines.push(`  Health:           ${url}/healthz, ${url}/readyz  (metrics: ${url}/metrics)`);
  if (roles.workers)
    lines.push(`  Queue workers:    ${running.workers.map((w) => w.name).join(", ") || "none"}`);
  if (demo) lines.push(`  Demo receiver:    ${demo.url}/webhooks (prints each delivery)`);
  if (values.dev) lines.push("  Dev credentials:  examples/dev/credentials.json");
  lines.push("Press Ctrl-C to stop.");
  console.log(lines.join("\n"));

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        console.error(`gigbridge: ${signal} again, exiting now`);
        process.exit(130);
      }
      stopping = true;
      console.log("\nGigBridge: shutting down (finishing in-flight requests)...");
      running
        .close()
        .then(() => demo?.close())
        .then(resolve, (error: unknown) => {
          console.error("gigbridge: error while shutting down:", (error as Error).message);
          resolve();
        });
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
  });
  console.log("GigBridge: stopped.");
  // Everything was closed; a connection still stuck on a dead Redis node must not keep the process up.
  setTimeout(() => process.exit(0), 2000).unref();
  return 0;
}

async function keys(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: { platform: { type: "string" }, org: { type: "string" } },
  });
  if (action !== "create" || (!values.platform && !values.org) || (values.platform && values.org)) {
    console.error("Usage: gigbridge keys create --platform <id> | --org <id>   (needs REDIS_URL)");
    return 2;
  }
  const url = process.env.REDIS_URL;
  if (!url) {
    console.error("gigbridge: set REDIS_URL to the Redis the gateway uses");
    return 2;
  }
  const principal: Principal = values.platform
    ? { kind: "platform", id: values.platform }
    : { kind: "org", id: values.org as string };
  const redis = commandConnection(url, "gigbridge:cli");
  redis.on("error", () => {});
  try {
    await connect(redis);
    const key = await Credentials.create(redis, principal);
    console.log(key);
    console.error(
      `A new ${principal.kind} key for ${principal.id}. It is shown only now; GigBridge stores its hash.`,
    );
    return 0;
  } finally {
    redis.disconnect();
  }
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
