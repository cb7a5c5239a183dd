// @ts-check
// GigBridge benchmark: `npm run bench` (from the repository root, after `npm ci`).
//
// Starts its own redis-server and gateway processes, loads them with autocannon
// on 127.0.0.1 only, measures ceilings in the same run (a bare Hono app, BullMQ
// with a no-op worker), prints one table and writes bench/results/latest.json.
//
// Environment:
//   BENCH_QUICK=1            short runs (3 s load, fewer signals) for a smoke test
//   BENCH_SECONDS=<n>        seconds of load per HTTP figure (default 10, quick 3)
//   BENCH_PROFILE=1          run the gateway under --cpu-prof, pinned to CPU 0 with everything else on
//                            CPU 1 (so Redis wake-ups do not pre-empt it mid-sample); profiles and
//                            the figures of this run go to bench/results/ (profile-run.json)
//   BENCH_DEADLINE_SECONDS   hard limit for the run after the build (default 240)
//   BENCH_OUT=<file>         where to write the JSON (default bench/results/latest.json; quick runs
//                            write bench/results/quick.json, so they never replace a full run's figures)
//   BENCH_ONLY=tracing       only the tracing figure (intake with and without a traceparent), printed
//   (more knobs and what each figure means: bench/README.md)

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Webhook } from "@gigbridge/sdk";
import { freePort, RedisServer } from "@gigbridge/testkit";
import { Queue } from "bullmq";
import { cleanupAll, cpuMicros, onCleanup, spawnNode } from "./lib/children.js";
import { benchSetup } from "./lib/config.js";
import { load } from "./lib/load.js";
import { formatProfile, summarizeProfile } from "./lib/profile.js";
import { batchBody, idSource, singleBody } from "./lib/signals.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..");
const cli = join(root, "packages/gateway/dist/cli/main.js");
const resultsDir = join(here, "results");
const env = process.env;
const QUICK = env.BENCH_QUICK === "1";
const PROFILE = env.BENCH_PROFILE === "1";
const SECONDS = Number(env.BENCH_SECONDS ?? (QUICK ? 3 : 10));
const WARMUP_SECONDS = QUICK ? 1 : 3;
const CONNECTIONS = 50;
const BATCH_SIZE = 100;
const BATCH_CONNECTIONS = Number(env.BENCH_BATCH_CONNECTIONS ?? 10);
const PIPELINE_SIGNALS = Number(env.BENCH_PIPELINE_SIGNALS ?? (QUICK ? 2_000 : 10_000));
const NOOP_JOBS = Number(env.BENCH_NOOP_JOBS ?? (QUICK ? 2_000 : 10_000));
const SDK_SIGNALS = Number(env.BENCH_SDK_SIGNALS ?? (QUICK ? 3_000 : 20_000));
const DELIVERY_CONCURRENCY = Number(env.BENCH_DELIVERY_CONCURRENCY ?? 32);
const DEADLINE_MS = Number(env.BENCH_DEADLINE_SECONDS ?? 240) * 1000;
// A quick or profiled run never replaces the figures of the last full run.
const OUT = resolve(
  env.BENCH_OUT ?? join(resultsDir, PROFILE ? "profile-run.json" : QUICK ? "quick.json" : "latest.json"),
);
const PIN = PROFILE && cpus().length >= 2;

/**
 * @typedef {import("./lib/children.js").Child & {
 *   url: string, phase: string, idleRss: number | null, workers: string, startOutput: string
 * }} GatewayProcess
 * @typedef {Awaited<ReturnType<typeof load>> & { cpu: Record<string, number>, peakRss?: number | null }} LoadResult
 * @typedef {Record<string, { calls: number, usec: number }>} CommandStats
 * @typedef {import("ioredis").Redis} RedisClient
 * @typedef {Awaited<ReturnType<typeof startReceiver>>} Receiver
 * @typedef {ReturnType<typeof benchSetup>} BenchSetup
 * @typedef {{ value: number | null, note: string | undefined, cpu: number | null, redisCpu: number | null }} StageFigure
 */

/**
 * Sets the CPU affinity of every thread of a process (profiling mode only).
 * @param {number | undefined} pid
 * @param {number} cpu
 */
function pin(pid, cpu) {
  const result = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
  if (result.error || result.status !== 0) log(`warning: could not pin process ${pid} to CPU ${cpu}`);
}

const log = (/** @type {unknown[]} */ ...args) => console.error("[bench]", ...args);
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

// ---------------------------------------------------------------- lifecycle

let finished = false;
/**
 * @param {string} reason
 * @param {number} [code]
 */
async function abort(reason, code = 1) {
  if (finished) return;
  finished = true;
  console.error(`[bench] ${reason}`);
  await cleanupAll();
  process.exit(code);
}
const watchdog = setTimeout(() => abort(`stopped: the run exceeded ${DEADLINE_MS / 1000} s`), DEADLINE_MS);
watchdog.unref();
process.once("SIGINT", () => abort("interrupted", 130));
process.once("SIGTERM", () => abort("terminated", 143));
process.on("unhandledRejection", (error) => abort(`failed: ${stackOf(error)}`));

/** @param {unknown} error */
function stackOf(error) {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

// ---------------------------------------------------------------- helpers

/**
 * Polls `check` every `everyMs` until it returns truthy or `timeoutMs` passes; returns its last value.
 * @template T
 * @param {() => T | Promise<T>} check
 * @param {{ timeoutMs: number, everyMs?: number }} options
 * @returns {Promise<T>}
 */
async function poll(check, { timeoutMs, everyMs = 20 }) {
  const until = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < until) {
    await sleep(everyMs);
    value = await check();
  }
  return value;
}

/** @type {{ phase: string, bytes: number, idle: number | null }[]} */
const gatewayPeaks = [];
/** @type {{ phase: string, bytes: number, tail: string }[]} */
const gatewayLogs = [];

/** Measurement windows in each profiled gateway process, in µs of the monotonic clock V8 samples use. */
/** @type {{ file: string, label: string, from: number, to: number }[]} */
const profileWindows = [];
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
/**
 * @template T
 * @param {GatewayProcess} handle
 * @param {string} label
 * @param {() => Promise<T>} fn
 * @returns {Promise<T>}
 */
async function profiled(handle, label, fn) {
  const from = monotonicMicros();
  try {
    return await fn();
  } finally {
    profileWindows.push({ file: `gateway-${handle.phase}.cpuprofile`, label, from, to: monotonicMicros() });
  }
}

/** Redis's per-command counters (INFO commandstats): {command: {calls, usec}}. */
/**
 * @param {RedisClient} admin
 * @returns {Promise<CommandStats>}
 */
async function commandStats(admin) {
  const text = await admin.info("commandstats");
  /** @type {CommandStats} */
  const stats = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[/** @type {string} */ (m[1])] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return stats;
}

/** Redis commands per unit of work between two commandstats snapshots, busiest first. */
/** @type {string[]} */
const redisWork = [];
/**
 * @param {string} label
 * @param {CommandStats} before
 * @param {CommandStats} after
 * @param {number} units
 * @param {string} unit
 */
function recordRedisWork(label, before, after, units, unit) {
  const rows = Object.entries(after)
    .map(([cmd, a]) => ({
      cmd,
      calls: (a.calls - (before[cmd]?.calls ?? 0)) / units,
      usec: (a.usec - (before[cmd]?.usec ?? 0)) / units,
    }))
    .filter((r) => r.calls > 0 && !r.cmd.startsWith("info") && !r.cmd.startsWith("config"))
    .sort((x, y) => y.usec - x.usec);
  const calls = rows.reduce((t, r) => t + r.calls, 0);
  const usec = rows.reduce((t, r) => t + r.usec, 0);
  const top = rows
    .slice(0, 6)
    .map((r) => `${r.cmd} ${r.calls.toFixed(1)} (${r.usec.toFixed(0)} µs)`)
    .join(", ");
  redisWork.push(
    `${label}: ${calls.toFixed(1)} commands, ${usec.toFixed(0)} µs in Redis per ${unit}: ${top}`,
  );
}

/**
 * Runs `fn` and adds to its result the CPU time each process in `pids` spent meanwhile (µs).
 * @param {Record<string, number | undefined>} pids
 * @param {() => ReturnType<typeof load>} fn
 * @returns {Promise<LoadResult>}
 */
async function withCpu(pids, fn) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid) ?? 0]));
  const result = await fn();
  const cpu = Object.fromEntries(
    Object.entries(pids).map(([k, pid]) => [k, (cpuMicros(pid) ?? 0) - (before[k] ?? 0)]),
  );
  return { ...result, cpu };
}

/**
 * @param {"serve" | "work"} role
 * @param {string} phase
 * @param {BenchSetup} setup
 * @param {string} redisUrl
 * @returns {Promise<GatewayProcess>}
 */
async function startGateway(role, phase, setup, redisUrl) {
  const port = role === "work" ? 0 : await freePort();
  const nodeArgs = PROFILE
    ? ["--cpu-prof", "--cpu-prof-dir", resultsDir, "--cpu-prof-name", `gateway-${phase}.cpuprofile`]
    : [];
  const args = [cli, role, "--config", setup.configPath];
  if (role !== "work") args.push("--port", String(port));
  const handle = spawnNode(`gateway ${role} (${phase})`, args, {
    nodeArgs,
    env: { REDIS_URL: redisUrl, GIGBRIDGE_MASTER_KEY: setup.masterKey },
    ready: /GigBridge is running[\s\S]*\n\s*(API|Queue workers):.*\n/,
  });
  await handle.ready;
  if (PIN) pin(handle.pid, 0);
  await sleep(100);
  return Object.assign(handle, {
    url: `http://127.0.0.1:${port}`,
    phase,
    idleRss: handle.rss(),
    workers: (handle.output().match(/Queue workers:\s*(.*)/)?.[1] ?? "").trim(),
    startOutput: handle.output(),
  });
}

/** @param {GatewayProcess} handle */
async function stopGateway(handle) {
  const peak = handle.peakRss();
  if (peak !== null) gatewayPeaks.push({ phase: handle.phase, bytes: peak, idle: handle.idleRss });
  gatewayLogs.push({
    phase: handle.phase,
    bytes: handle.loggedBytes,
    tail: handle.output().split("\n").at(-2) ?? "",
  });
  await handle.stop();
}

/** POSTs `total` signals as batches of 100 with a few requests in flight; throws on any non-202. */
/**
 * @param {string} url
 * @param {string} apiKey
 * @param {number} total
 * @param {string} tag
 */
async function preload(url, apiKey, total, tag) {
  const next = idSource(tag);
  const occurredAt = new Date().toISOString();
  let sent = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent < total) {
        const size = Math.min(BATCH_SIZE, total - sent);
        sent += size;
        const response = await fetch(`${url}/v1/signals/batch`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: batchBody(next, size, occurredAt),
        });
        const text = await response.text();
        if (response.status !== 202) throw new Error(`preload got ${response.status}: ${text.slice(0, 300)}`);
      }
    }),
  );
}

/** A local webhook receiver: checks the Standard Webhooks signature of each delivery (HMAC and timestamp; the event schema is not re-validated) and counts it. */
async function startReceiver() {
  const state = {
    count: 0,
    bad: 0,
    firstAt: 0,
    lastAt: 0,
    /** @type {Record<"street-a" | "street-b", string>} */
    secrets: { "street-a": "", "street-b": "" },
  };
  /** @type {Partial<Record<"street-a" | "street-b", Webhook>>} */
  const verifiers = {};
  const server = createServer((req, res) => {
    /** @type {Buffer[]} */
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const org = req.url === "/a" ? "street-a" : "street-b";
      verifiers[org] ??= new Webhook(state.secrets[org]);
      const verifier = verifiers[org];
      try {
        await verifier.verifySignature(Buffer.concat(chunks), req.headers);
        state.count += 1;
        const now = performance.now();
        state.firstAt ||= now;
        state.lastAt = now;
      } catch {
        state.bad += 1;
      }
      res.writeHead(204).end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  onCleanup(() => new Promise((r) => server.close(() => r(undefined))));
  server.keepAliveTimeout = 60_000;
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return { url: `http://127.0.0.1:${port}`, state, server };
}

// ---------------------------------------------------------------- figures

/**
 * @typedef {object} Figure
 * @property {string} name
 * @property {number | null} value
 * @property {string} unit
 * @property {number | null} ceiling
 * @property {number | null} ratio
 * @property {string | null} target
 * @property {boolean | null} met
 * @property {string} [note]
 */

/** @type {Figure[]} */
const figures = [];
/**
 * @param {string} name
 * @param {number | null} value
 * @param {string} unit
 * @param {{ ceiling?: number | null, target?: string | null, ratioMin?: number, max?: number, note?: string | undefined }} [options]
 */
function figure(name, value, unit, { ceiling = null, target = null, ratioMin, max, note } = {}) {
  const ratio = value !== null && ceiling ? value / ceiling : null;
  let met = null;
  if (ratioMin !== undefined) met = ratio !== null && ratio >= ratioMin;
  if (max !== undefined) met = value !== null && value < max;
  figures.push({ name, value, unit, ceiling, ratio, target, met, ...(note ? { note } : {}) });
}

/**
 * @param {number | null | undefined} value
 * @returns {number | null}
 */
function round(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  const abs = Math.abs(value);
  const digits = abs >= 1000 ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return Number(value.toFixed(digits));
}

function printTable() {
  const rows = figures.map((f) => [
    f.name,
    f.value === null ? "n/a" : String(round(f.value)),
    f.unit,
    f.ceiling === null ? "-" : String(round(f.ceiling)),
    f.ratio === null ? "-" : f.ratio.toFixed(2),
    f.target ?? "-",
    f.met === null ? "-" : f.met ? "yes" : "NO",
  ]);
  const head = ["figure", "value", "unit", "ceiling", "ratio", "target", "met"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (/** @type {string[]} */ cells) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const out = [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)];
  console.log(out.join("\n"));
  for (const f of figures) if (f.note) console.log(`  ${f.name}: ${f.note}`);
}

// ---------------------------------------------------------------- the run

async function main() {
  const started = Date.now();
  mkdirSync(resultsDir, { recursive: true });
  if (PROFILE) {
    for (const name of readdirSync(resultsDir)) {
      if (name.endsWith(".cpuprofile")) rmSync(join(resultsDir, name));
    }
  }
  const loadAtStart = loadavg()[0] ?? 0;
  log(
    `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}` +
      `${QUICK ? ", quick mode" : ""}${PROFILE ? ", profiling" : ""}; load average ${loadAtStart.toFixed(2)}`,
  );
  if (loadAtStart > cpus().length / 2) {
    log(
      `warning: the machine is already busy (load ${loadAtStart.toFixed(2)}); absolute figures and ratios will be noisy`,
    );
  }

  const redis = await RedisServer.start({ appendOnly: false });
  onCleanup(() => redis.destroy());
  const admin = redis.client();
  onCleanup(() => admin.disconnect());
  const info = await admin.info("server");
  const redisPid = Number(info.match(/process_id:(\d+)/)?.[1]);
  if (PIN) {
    pin(redisPid, 1);
    pin(process.pid, 1);
  }
  log(`redis-server ${info.match(/redis_version:(\S+)/)?.[1]} on ${redis.url} (no persistence)`);

  if (env.BENCH_ONLY === "tracing") {
    const setup = benchSetup({ receiverUrl: "http://127.0.0.1:9/", concurrencyPerEndpoint: 1 });
    onCleanup(() => setup.remove());
    const tracing = await measureTracing(setup, redis, admin);
    tracingFigures(tracing);
    printTable();
    return;
  }

  const receiver = await startReceiver();
  const setup = benchSetup({ receiverUrl: receiver.url, concurrencyPerEndpoint: DELIVERY_CONCURRENCY });
  onCleanup(() => setup.remove());
  receiver.state.secrets = setup.secrets;
  const auth = { authorization: `Bearer ${setup.platformKey}` };
  const occurredAt = new Date().toISOString();

  // 1. Ceiling: bare Hono on @hono/node-server, the same load and bodies as single intake.
  //    Measured before and after the gateway's intake runs; the ceiling is the mean of the two,
  //    so a background load that changes during the run affects both sides alike.
  const honoIds = idSource("h");
  const measureHono = async (/** @type {string} */ when) => {
    log(`ceiling: bare Hono JSON POST (${when})`);
    const hono = spawnNode("bare hono", [join(here, "ceiling-hono.js"), String(await freePort())], {
      ready: /ready \d+/,
    });
    await hono.ready;
    const honoUrl = `http://127.0.0.1:${hono.output().match(/ready (\d+)/)?.[1]}`;
    const run = (/** @type {number} */ seconds) =>
      load({
        url: `${honoUrl}/v1/signals`,
        connections: CONNECTIONS,
        seconds,
        headers: auth,
        makeBody: () => singleBody(honoIds, occurredAt),
      });
    await run(WARMUP_SECONDS);
    const result = await withCpu({ server: hono.pid }, () => run(SECONDS));
    result.peakRss = hono.peakRss();
    await hono.stop();
    log(`  ${result.perSecond.toFixed(0)} req/s, p50 ${result.p50} ms, p99 ${result.p99} ms`);
    return result;
  };
  const honoBefore = await measureHono("before");

  // 2. Single-signal intake: POST /v1/signals at 50 connections.
  log("gateway: single-signal intake");
  let gw = await startGateway("serve", "intake-single", setup, redis.url);
  const singleIds = idSource("s");
  const singleRun = (/** @type {number} */ seconds) =>
    load({
      url: `${gw.url}/v1/signals`,
      connections: CONNECTIONS,
      seconds,
      headers: auth,
      makeBody: () => singleBody(singleIds, occurredAt),
    });
  await singleRun(WARMUP_SECONDS);
  let stats0 = await commandStats(admin);
  const single = await profiled(gw, "single-signal intake", () =>
    withCpu({ server: gw.pid, redis: redisPid }, () => singleRun(SECONDS)),
  );
  recordRedisWork("single intake", stats0, await commandStats(admin), single.requests, "request");
  await stopGateway(gw);
  await admin.flushall();
  log(
    `  ${single.perSecond.toFixed(0)} req/s, p50 ${single.p50} ms, p99 ${single.p99} ms, non-2xx ${single.non2xx}, errors ${single.errors}`,
  );

  // 2b. Tracing off vs on: the same single-signal intake, without and with a W3C traceparent.
  const tracing = await measureTracing(setup, redis, admin);

  // 3. Batch intake: POST /v1/signals/batch with 100 signals per request.
  log(`gateway: batch intake (${BATCH_SIZE} per request, ${BATCH_CONNECTIONS} connections)`);
  gw = await startGateway("serve", "intake-batch", setup, redis.url);
  const batchIds = idSource("b");
  const batchRun = (/** @type {number} */ seconds) =>
    load({
      url: `${gw.url}/v1/signals/batch`,
      connections: BATCH_CONNECTIONS,
      seconds,
      headers: auth,
      makeBody: () => batchBody(batchIds, BATCH_SIZE, occurredAt),
    });
  await batchRun(WARMUP_SECONDS);
  stats0 = await commandStats(admin);
  const batch = await profiled(gw, "batch intake", () =>
    withCpu({ server: gw.pid, redis: redisPid }, () => batchRun(SECONDS)),
  );
  recordRedisWork("batch intake", stats0, await commandStats(admin), batch.requests * BATCH_SIZE, "signal");
  await stopGateway(gw);
  await admin.flushall();
  log(
    `  ${(batch.perSecond * BATCH_SIZE).toFixed(0)} signals/s (${batch.perSecond.toFixed(0)} req/s), p99 ${batch.p99} ms, non-2xx ${batch.non2xx}`,
  );

  // 4. Ceiling: bare Hono again, then BullMQ addBulk and a no-op Worker on the same Redis,
  //    before and after processing and delivery (the ceiling is the mean of the two).
  const honoAfter = await measureHono("after");
  const mean = (/** @type {number} */ a, /** @type {number} */ b) => (a + b) / 2;
  const cpuPer = (/** @type {LoadResult} */ r, /** @type {string} */ key, /** @type {number} */ n) =>
    (r.cpu[key] ?? 0) / n;
  const honoResult = {
    cpuPerRequest: mean(
      cpuPer(honoBefore, "server", honoBefore.requests),
      cpuPer(honoAfter, "server", honoAfter.requests),
    ),
    perSecond: mean(honoBefore.perSecond, honoAfter.perSecond),
    p50: mean(honoBefore.p50, honoAfter.p50),
    p99: mean(honoBefore.p99, honoAfter.p99),
  };
  const honoPeak = Math.max(honoBefore.peakRss ?? 0, honoAfter.peakRss ?? 0) || null;

  /** @param {string} when */
  const measureBull = async (when) => {
    log(`ceiling: BullMQ addBulk + no-op worker (${when})`);
    const before = await commandStats(admin);
    const noop = spawnNode("bullmq no-op", [join(here, "ceiling-bullmq.js")], {
      env: { REDIS_URL: redis.url, BENCH_JOBS: String(NOOP_JOBS), BENCH_CONCURRENCY: "50" },
    });
    const noopExit = await noop.exited;
    if (noopExit.code !== 0) throw new Error(`BullMQ ceiling failed:\n${noop.output()}`);
    const result = JSON.parse(lastLine(noop.output()));
    recordRedisWork(`BullMQ add + no-op (${when})`, before, await commandStats(admin), result.jobs, "job");
    await admin.flushall();
    log(
      `  add ${result.addPerSecond.toFixed(0)} jobs/s, no-op processing ${result.processPerSecond.toFixed(0)} jobs/s`,
    );
    return result;
  };
  const bullBefore = await measureBull("before");

  // 5. Processing and delivery.
  const pipeline = await measurePipeline(setup, redis, admin, receiver, redisPid);
  const bullAfter = await measureBull("after");
  const bull = {
    addPerSecond: mean(bullBefore.addPerSecond, bullAfter.addPerSecond),
    processPerSecond: mean(bullBefore.processPerSecond, bullAfter.processPerSecond),
    processCpuMicrosPerJob: mean(bullBefore.processCpuMicrosPerJob, bullAfter.processCpuMicrosPerJob),
  };

  // 6. SDK: CPU and memory in a process of its own, then end to end against a gateway.
  log("sdk: CPU per enqueue, memory with 10,000 queued");
  const sdkLocal = spawnNode("sdk local", [join(here, "sdk-child.js"), "local"], {
    nodeArgs: ["--expose-gc"],
  });
  if ((await sdkLocal.exited).code !== 0) throw new Error(`SDK measurement failed:\n${sdkLocal.output()}`);
  const sdk = JSON.parse(lastLine(sdkLocal.output()));
  log(
    `  ${sdk.cpuMicrosPerEnqueue.toFixed(1)} µs CPU per enqueue; ${(sdk.heapBytesQueued / MB).toFixed(1)} MB heap for ${sdk.queued}`,
  );

  log(`sdk: ${SDK_SIGNALS} signals end to end through enqueue (flushAt 100)`);
  gw = await startGateway("serve", "sdk", setup, redis.url);
  const sdkE2eProc = spawnNode("sdk e2e", [join(here, "sdk-child.js"), "e2e", gw.url], {
    nodeArgs: ["--expose-gc"],
    env: { BENCH_API_KEY: setup.platformKey, BENCH_SDK_SIGNALS: String(SDK_SIGNALS) },
  });
  if ((await sdkE2eProc.exited).code !== 0) throw new Error(`SDK end-to-end failed:\n${sdkE2eProc.output()}`);
  const sdkE2e = JSON.parse(lastLine(sdkE2eProc.output()));
  await stopGateway(gw);
  await admin.flushall();
  log(`  ${sdkE2e.perSecond.toFixed(0)} signals/s, ${sdkE2e.failed} failed`);

  // ------------------------------------------------------------ figures
  const httpNote = (/** @type {LoadResult} */ r) =>
    r.non2xx || r.errors
      ? `${r.non2xx} non-2xx (${JSON.stringify(r.statusCodes)}), ${r.errors} errors`
      : undefined;
  figure("intake.single.rate", single.perSecond, "req/s", {
    ceiling: honoResult.perSecond,
    target: ">= 0.35 x bare Hono",
    ratioMin: 0.35,
    note: httpNote(single),
  });
  figure("intake.single.cpu", cpuPer(single, "server", single.requests), "µs CPU/req", {
    ceiling: honoResult.cpuPerRequest,
  });
  figure("intake.single.p50", single.p50, "ms", { ceiling: honoResult.p50 });
  figure("intake.single.p99", single.p99, "ms", { ceiling: honoResult.p99, target: "< 25 ms", max: 25 });
  figure("intake.batch.rate", batch.perSecond * BATCH_SIZE, "signals/s", {
    ceiling: honoResult.perSecond,
    target: ">= 1.5 x bare Hono req/s",
    ratioMin: 1.5,
    note: httpNote(batch),
  });
  // The same batch rate against BullMQ's own addBulk rate: how close intake is to the queue's limit.
  figure("intake.batch.rate_vs_bullmq_add", batch.perSecond * BATCH_SIZE, "signals/s", {
    ceiling: bull.addPerSecond,
  });
  figure("intake.batch.cpu", cpuPer(batch, "server", batch.requests * BATCH_SIZE), "µs CPU/signal", {
    ceiling: honoResult.cpuPerRequest,
  });
  figure("intake.batch.p99", batch.p99, "ms", { ceiling: honoResult.p99 });
  figure("processing.rate", pipeline.processing.value, "signals/s", {
    ceiling: bull.processPerSecond,
    target: ">= 0.5 x BullMQ no-op",
    ratioMin: 0.5,
    note: pipeline.processing.note,
  });
  figure("processing.cpu", pipeline.processing.cpu, "µs CPU/signal", {
    ceiling: bull.processCpuMicrosPerJob,
  });
  figure("delivery.rate", pipeline.delivery.value, "webhooks/s", {
    ceiling: bull.processPerSecond,
    target: ">= 0.5 x BullMQ no-op",
    ratioMin: 0.5,
    note: pipeline.delivery.note,
  });
  figure("delivery.cpu", pipeline.delivery.cpu, "µs CPU/webhook", { ceiling: bull.processCpuMicrosPerJob });
  figure("sdk.enqueue.cpu", sdk.cpuMicrosPerEnqueue, "µs/signal");
  figure("sdk.e2e.rate", sdkE2e.perSecond, "signals/s", {
    ceiling: batch.perSecond * BATCH_SIZE,
    note: sdkE2e.failed ? `${sdkE2e.failed} failed: ${sdkE2e.firstError}` : undefined,
  });
  const peak = gatewayPeaks.reduce((a, b) => (b.bytes > a.bytes ? b : a), { phase: "none", bytes: 0 });
  figure("memory.gateway.peak_rss", peak.bytes / MB, "MB", {
    ceiling: honoPeak === null ? null : honoPeak / MB,
    target: "< 250 MB",
    max: 250,
  });
  figure("memory.sdk.queued_10k", sdk.heapBytesQueued / MB, "MB");
  tracingFigures(tracing);

  for (const f of figures) {
    f.value = round(f.value);
    f.ceiling = round(f.ceiling);
    f.ratio = f.ratio === null ? null : Number(f.ratio.toFixed(3));
  }
  console.log(
    `\nGigBridge bench: ${cpus().length} CPUs, node ${process.version}, ${SECONDS} s per HTTP figure, ${CONNECTIONS} connections` +
      ` (batch: ${BATCH_CONNECTIONS}), Redis without persistence, everything on 127.0.0.1\n` +
      `ceilings (mean of before / after): bare Hono ${round(honoResult.perSecond)} req/s ` +
      `(${round(honoBefore.perSecond)} / ${round(honoAfter.perSecond)}), p50 ${round(honoResult.p50)} ms, p99 ${round(honoResult.p99)} ms; ` +
      `BullMQ addBulk ${round(bull.addPerSecond)} jobs/s, no-op processing ${round(bull.processPerSecond)} jobs/s ` +
      `(${round(bullBefore.processPerSecond)} / ${round(bullAfter.processPerSecond)})\n` +
      `gateway peak RSS by phase: ${gatewayPeaks.map((p) => `${p.phase} ${(p.bytes / MB).toFixed(0)} MB (${((p.idle ?? 0) / MB).toFixed(0)} MB at start)`).join(", ")}\n` +
      `Redis CPU: ${round(cpuPer(single, "redis", single.requests))} µs per single request, ` +
      `${round(cpuPer(batch, "redis", batch.requests * BATCH_SIZE))} µs per signal in batches, ` +
      `${round(pipeline.processing.redisCpu) ?? "n/a"} µs per signal processed, ` +
      `${round(pipeline.delivery.redisCpu) ?? "n/a"} µs per webhook delivered\n` +
      `load average (1 min): ${loadAtStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end\n`,
  );
  printTable();
  const chatty = gatewayLogs.filter((l) => l.bytes > 100_000);
  if (chatty.length) {
    console.log(`\ngateway log output (LOG_LEVEL default) while under load:`);
    for (const l of chatty) {
      console.log(`  ${l.phase}: ${(l.bytes / 1024).toFixed(0)} KB; last line: ${l.tail.slice(0, 300)}`);
    }
  }
  console.log(`\nRedis work (INFO commandstats; the pollers' own few commands included):`);
  for (const line of redisWork) console.log(`  ${line}`);
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ figures }, null, 2)}\n`);
  console.log(`\nwrote ${OUT} (${((Date.now() - started) / 1000).toFixed(0)} s)`);

  if (PROFILE) {
    await sleep(200);
    const written = new Set(readdirSync(resultsDir));
    for (const { file, label, from, to } of profileWindows) {
      if (!written.has(file)) continue;
      const summary = summarizeProfile(join(resultsDir, file), { top: 20, window: { from, to } });
      console.log(`\n${formatProfile(`${label} (${file})`, summary)}`);
    }
  }
}

/**
 * Tracing's cost with no OpenTelemetry SDK configured (what every gateway runs unless OTEL_* says
 * otherwise): single-signal intake without a `traceparent` ("off") and with one on every request
 * ("on": parsed, kept with the job, passed on to webhooks). One gateway process, the two loads
 * alternated twice so that drift in the machine's load hits both alike.
 * @param {BenchSetup} setup
 * @param {{ url: string }} redis
 * @param {RedisClient} admin
 */
async function measureTracing(setup, redis, admin) {
  log("gateway: tracing off vs on (no OpenTelemetry SDK), single-signal intake");
  const gw = await startGateway("serve", "tracing", setup, redis.url);
  const ids = idSource("t");
  const occurredAt = new Date().toISOString();
  const traceparent = () => `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
  const run = (/** @type {boolean} */ traced, /** @type {number} */ seconds) =>
    load({
      url: `${gw.url}/v1/signals`,
      connections: CONNECTIONS,
      seconds,
      headers: {
        authorization: `Bearer ${setup.platformKey}`,
        ...(traced ? { traceparent: traceparent() } : {}),
      },
      makeBody: () => singleBody(ids, occurredAt),
    });
  await run(false, WARMUP_SECONDS);
  await run(true, WARMUP_SECONDS);
  /** @type {{ off: LoadResult[], on: LoadResult[] }} */
  const sides = { off: [], on: [] };
  const half = Math.max(1, Math.round(SECONDS / 2));
  for (const traced of [false, true, false, true]) {
    sides[traced ? "on" : "off"].push(await withCpu({ server: gw.pid }, () => run(traced, half)));
    await admin.flushall();
  }
  await stopGateway(gw);
  const sum = (/** @type {LoadResult[]} */ list) => ({
    perSecond: list.reduce((a, r) => a + r.requests, 0) / list.reduce((a, r) => a + r.seconds, 0),
    cpuPerRequest:
      list.reduce((a, r) => a + (r.cpu.server ?? 0), 0) / list.reduce((a, r) => a + r.requests, 0),
    p99: Math.max(...list.map((r) => r.p99)),
    runs: list.map((r) => Math.round(r.perSecond)),
  });
  const result = { off: sum(sides.off), on: sum(sides.on) };
  log(
    `  off ${result.off.perSecond.toFixed(0)} req/s (${result.off.runs.join(", ")}), ${result.off.cpuPerRequest.toFixed(0)} µs CPU/req; ` +
      `on ${result.on.perSecond.toFixed(0)} req/s (${result.on.runs.join(", ")}), ${result.on.cpuPerRequest.toFixed(0)} µs CPU/req`,
  );
  return result;
}

/** @param {Awaited<ReturnType<typeof measureTracing>>} tracing */
function tracingFigures(tracing) {
  figure("tracing.intake.off.rate", tracing.off.perSecond, "req/s", {
    note: `runs: ${tracing.off.runs.join(", ")} req/s`,
  });
  figure("tracing.intake.on.rate", tracing.on.perSecond, "req/s", {
    ceiling: tracing.off.perSecond,
    target: ">= 0.95 x tracing off",
    ratioMin: 0.95,
    note: `runs: ${tracing.on.runs.join(", ")} req/s; traceparent on every request, no OpenTelemetry SDK`,
  });
  figure("tracing.intake.on.cpu", tracing.on.cpuPerRequest, "µs CPU/req", {
    ceiling: tracing.off.cpuPerRequest,
  });
}

/**
 * Processing: N signals are accepted while the `signals` queue is paused, then
 * a `gigbridge work` process starts, the queue is resumed and the clock runs
 * until the queue is empty. The `deliveries` queue stays paused meanwhile, so
 * processing does not share the CPU with delivery; then it is resumed and the
 * clock runs until the receiver has every webhook.
 */
/**
 * @param {BenchSetup} setup
 * @param {RedisServer} redis
 * @param {RedisClient} admin
 * @param {Receiver} receiver
 * @param {number} redisPid
 * @returns {Promise<{ processing: StageFigure, delivery: StageFigure }>}
 */
async function measurePipeline(setup, redis, admin, receiver, redisPid) {
  /** @type {{ processing: StageFigure, delivery: StageFigure }} */
  const out = {
    processing: { value: null, note: undefined, cpu: null, redisCpu: null },
    delivery: { value: null, note: undefined, cpu: null, redisCpu: null },
  };
  log(`pipeline: preloading ${PIPELINE_SIGNALS} signals`);
  const connection = redis.client();
  const signals = new Queue("signals", { connection, prefix: "{gb:signals}" });
  const deliveries = new Queue("deliveries", { connection, prefix: "{gb:deliveries}" });
  try {
    await signals.pause();
    await deliveries.pause();
    const serve = await startGateway("serve", "preload", setup, redis.url);
    await preload(serve.url, setup.platformKey, PIPELINE_SIGNALS, "p");
    await stopGateway(serve);
    // BullMQ 6 has no `paused` state: a paused queue keeps its jobs in `wait`.
    const queued = await signals.getJobCountByTypes("wait");
    if (queued !== PIPELINE_SIGNALS)
      throw new Error(`expected ${PIPELINE_SIGNALS} queued signals, found ${queued}`);

    const work = await startGateway("work", "work", setup, redis.url);
    try {
      if (!/signal|process/i.test(work.workers)) {
        const why = `not measurable: \`gigbridge work\` starts no processing worker (workers: ${work.workers || "none"})`;
        out.processing.note = why;
        out.delivery.note = why;
        log(`  ${why}`);
        return out;
      }
      log(`  workers: ${work.workers}; processing`);
      const t0 = performance.now();
      const cpu0 = [cpuMicros(work.pid), cpuMicros(redisPid)];
      const stats0 = await commandStats(admin);
      await signals.resume();
      const budget = Math.max(30_000, PIPELINE_SIGNALS * 5);
      const drained = await profiled(work, "processing", () =>
        poll(
          async () =>
            (await signals.getJobCountByTypes(
              "wait",
              "active",
              "delayed",
              "prioritized",
              "waiting-children",
            )) === 0,
          { timeoutMs: budget },
        ),
      );
      const seconds = (performance.now() - t0) / 1000;
      out.processing.cpu = ((cpuMicros(work.pid) ?? 0) - (cpu0[0] ?? 0)) / PIPELINE_SIGNALS;
      out.processing.redisCpu = ((cpuMicros(redisPid) ?? 0) - (cpu0[1] ?? 0)) / PIPELINE_SIGNALS;
      recordRedisWork("processing", stats0, await commandStats(admin), PIPELINE_SIGNALS, "signal");
      const failed = await signals.getJobCountByTypes("failed");
      const processed = await countStatus(admin, setup.platformId, "processed");
      if (!drained) {
        out.processing.note = `not measurable: the signals queue did not drain within ${budget / 1000} s`;
      } else {
        out.processing.value = (PIPELINE_SIGNALS - failed) / seconds;
        if (failed || processed !== PIPELINE_SIGNALS) {
          out.processing.note = `${failed} of ${PIPELINE_SIGNALS} signal jobs failed; ${processed} signals have status processed`;
        }
      }
      log(
        `  ${PIPELINE_SIGNALS} signals in ${seconds.toFixed(2)} s, ${failed} failed, ${processed} processed`,
      );

      // Delivery: everything processing queued, sent to the local receiver.
      const messages = await deliveries.getJobCountByTypes("wait", "delayed", "prioritized");
      if (!/deliver/i.test(work.workers) || messages === 0) {
        out.delivery.note = `not measurable: ${messages} webhook messages were queued; workers: ${work.workers}`;
        log(`  ${out.delivery.note}`);
        return out;
      }
      log(`  delivering ${messages} webhooks`);
      receiver.state.count = 0;
      receiver.state.bad = 0;
      const d0 = performance.now();
      const dCpu0 = [cpuMicros(work.pid), cpuMicros(redisPid)];
      const dStats0 = await commandStats(admin);
      await deliveries.resume();
      const dBudget = Math.max(30_000, messages * 5);
      const all = await profiled(work, "delivery", () =>
        poll(() => receiver.state.count >= messages, { timeoutMs: dBudget }),
      );
      const dSeconds = (performance.now() - d0) / 1000;
      const delivered = Math.max(1, receiver.state.count);
      out.delivery.cpu = ((cpuMicros(work.pid) ?? 0) - (dCpu0[0] ?? 0)) / delivered;
      out.delivery.redisCpu = ((cpuMicros(redisPid) ?? 0) - (dCpu0[1] ?? 0)) / delivered;
      const dStats1 = await commandStats(admin);
      recordRedisWork("delivery", dStats0, dStats1, Math.max(1, receiver.state.count), "webhook");
      if (!all) {
        out.delivery.note = `only ${receiver.state.count} of ${messages} webhooks arrived within ${dBudget / 1000} s`;
      }
      out.delivery.value = receiver.state.count / dSeconds;
      if (receiver.state.bad) {
        out.delivery.note = `${receiver.state.bad} webhooks failed signature verification`;
      }
      log(
        `  ${receiver.state.count} webhooks in ${dSeconds.toFixed(2)} s, ${receiver.state.bad} bad signatures`,
      );
    } finally {
      await stopGateway(work);
    }
    return out;
  } finally {
    await signals.close();
    await deliveries.close();
    connection.disconnect();
    await admin.flushall();
  }
}

/**
 * How many of the platform's signals have the given status (SCAN over their status hashes).
 * @param {RedisClient} admin
 * @param {string} platformId
 * @param {string} status
 */
async function countStatus(admin, platformId, status) {
  let cursor = "0";
  let count = 0;
  let rounds = 0;
  do {
    const [nextCursor, keys] = await admin.scan(
      cursor,
      "MATCH",
      `gb:{p:${platformId}}:signal:*`,
      "COUNT",
      1000,
    );
    cursor = nextCursor;
    if (keys.length) {
      const pipeline = admin.pipeline();
      for (const key of keys) pipeline.hget(key, "status");
      for (const [, value] of (await pipeline.exec()) ?? []) if (value === status) count += 1;
    }
    rounds += 1;
  } while (cursor !== "0" && rounds < 10_000);
  return count;
}

main().then(
  async () => {
    finished = true;
    await cleanupAll();
    process.exit(0);
  },
  (error) => abort(`failed: ${stackOf(error)}`),
);

/** The last line a child printed: its JSON result. @param {string} output */
function lastLine(output) {
  return output.trim().split("\n").at(-1) ?? "";
}
