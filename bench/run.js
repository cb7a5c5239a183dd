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
//   BENCH_OUT=<file>         where to write the JSON (default bench/results/latest.json)
//   (more knobs and what each figure means: bench/README.md)

import { spawnSync } from "node:child_process";
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
const OUT = resolve(env.BENCH_OUT ?? join(resultsDir, PROFILE ? "profile-run.json" : "latest.json"));
const PIN = PROFILE && cpus().length >= 2;

/** Sets the CPU affinity of every thread of a process (profiling mode only). */
function pin(pid, cpu) {
  const result = spawnSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });
  if (result.error || result.status !== 0) log(`warning: could not pin process ${pid} to CPU ${cpu}`);
}

const log = (...args) => console.error("[bench]", ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MB = 1024 * 1024;

// ---------------------------------------------------------------- lifecycle

let finished = false;
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
process.on("unhandledRejection", (error) => abort(`failed: ${error?.stack ?? error}`));

// ---------------------------------------------------------------- helpers

/** Polls `check` every `everyMs` until it returns truthy or `timeoutMs` passes; returns its last value. */
async function poll(check, { timeoutMs, everyMs = 20 }) {
  const until = Date.now() + timeoutMs;
  let value = await check();
  while (!value && Date.now() < until) {
    await sleep(everyMs);
    value = await check();
  }
  return value;
}

const gatewayPeaks = [];
const gatewayLogs = [];

/** Measurement windows in each profiled gateway process, in µs of the monotonic clock V8 samples use. */
const profileWindows = [];
const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);
async function profiled(handle, label, fn) {
  const from = monotonicMicros();
  try {
    return await fn();
  } finally {
    profileWindows.push({ file: `gateway-${handle.phase}.cpuprofile`, label, from, to: monotonicMicros() });
  }
}

/** Redis's per-command counters (INFO commandstats): {command: {calls, usec}}. */
async function commandStats(admin) {
  const text = await admin.info("commandstats");
  const stats = {};
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  }
  return stats;
}

/** Redis commands per unit of work between two commandstats snapshots, busiest first. */
const redisWork = [];
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

/** Runs `fn` and adds to its result the CPU time each process in `pids` spent meanwhile (µs). */
async function withCpu(pids, fn) {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid)]));
  const result = await fn();
  result.cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuMicros(pid) - before[k]]));
  return result;
}

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
  handle.url = `http://127.0.0.1:${port}`;
  handle.phase = phase;
  handle.idleRss = handle.rss();
  handle.workers = (handle.output().match(/Queue workers:\s*(.*)/)?.[1] ?? "").trim();
  handle.startOutput = handle.output();
  return handle;
}

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
  const state = { count: 0, bad: 0, firstAt: 0, lastAt: 0, secrets: {} };
  const verifiers = {};
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", async () => {
      const org = req.url === "/a" ? "street-a" : "street-b";
      verifiers[org] ??= new Webhook(state.secrets[org]);
      try {
        await verifiers[org].verifySignature(Buffer.concat(chunks), req.headers);
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
  onCleanup(() => new Promise((r) => server.close(() => r())));
  server.keepAliveTimeout = 60_000;
  return { url: `http://127.0.0.1:${server.address().port}`, state, server };
}

// ---------------------------------------------------------------- figures

const figures = [];
function figure(name, value, unit, { ceiling = null, target = null, ratioMin, max, note } = {}) {
  const ratio = value !== null && ceiling ? value / ceiling : null;
  let met = null;
  if (ratioMin !== undefined) met = ratio !== null && ratio >= ratioMin;
  if (max !== undefined) met = value !== null && value < max;
  figures.push({ name, value, unit, ceiling, ratio, target, met, ...(note ? { note } : {}) });
}

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
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
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
  const loadAtStart = loadavg()[0];
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
  const measureHono = async (when) => {
    log(`ceiling: bare Hono JSON POST (${when})`);
    const hono = spawnNode("bare hono", [join(here, "ceiling-hono.js"), String(await freePort())], {
      ready: /ready \d+/,
    });
    await hono.ready;
    const honoUrl = `http://127.0.0.1:${hono.output().match(/ready (\d+)/)[1]}`;
    const run = (seconds) =>
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
  const singleRun = (seconds) =>
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

  // 3. Batch intake: POST /v1/signals/batch with 100 signals per request.
  log(`gateway: batch intake (${BATCH_SIZE} per request, ${BATCH_CONNECTIONS} connections)`);
  gw = await startGateway("serve", "intake-batch", setup, redis.url);
  const batchIds = idSource("b");
  const batchRun = (seconds) =>
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
  const mean = (a, b) => (a + b) / 2;
  const cpuPer = (r, key, n) => r.cpu[key] / n;
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

  const measureBull = async (when) => {
    log(`ceiling: BullMQ addBulk + no-op worker (${when})`);
    const before = await commandStats(admin);
    const noop = spawnNode("bullmq no-op", [join(here, "ceiling-bullmq.js")], {
      env: { REDIS_URL: redis.url, BENCH_JOBS: String(NOOP_JOBS), BENCH_CONCURRENCY: "50" },
    });
    const noopExit = await noop.exited;
    if (noopExit.code !== 0) throw new Error(`BullMQ ceiling failed:\n${noop.output()}`);
    const result = JSON.parse(noop.output().trim().split("\n").pop());
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
  const sdk = JSON.parse(sdkLocal.output().trim().split("\n").pop());
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
  const sdkE2e = JSON.parse(sdkE2eProc.output().trim().split("\n").pop());
  await stopGateway(gw);
  await admin.flushall();
  log(`  ${sdkE2e.perSecond.toFixed(0)} signals/s, ${sdkE2e.failed} failed`);

  // ------------------------------------------------------------ figures
  const httpNote = (r) =>
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
      `gateway peak RSS by phase: ${gatewayPeaks.map((p) => `${p.phase} ${(p.bytes / MB).toFixed(0)} MB (${(p.idle / MB).toFixed(0)} MB at start)`).join(", ")}\n` +
      `Redis CPU: ${round(cpuPer(single, "redis", single.requests))} µs per single request, ` +
      `${round(cpuPer(batch, "redis", batch.requests * BATCH_SIZE))} µs per signal in batches, ` +
      `${round(pipeline.processing.redisCpu) ?? "n/a"} µs per signal processed, ` +
      `${round(pipeline.delivery.redisCpu) ?? "n/a"} µs per webhook delivered\n` +
      `load average (1 min): ${loadAtStart.toFixed(2)} at start, ${loadavg()[0].toFixed(2)} at end\n`,
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
 * Processing: N signals are accepted while the `signals` queue is paused, then
 * a `gigbridge work` process starts, the queue is resumed and the clock runs
 * until the queue is empty. The `deliveries` queue stays paused meanwhile, so
 * processing does not share the CPU with delivery; then it is resumed and the
 * clock runs until the receiver has every webhook.
 */
async function measurePipeline(setup, redis, admin, receiver, redisPid) {
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
    const queued = await signals.getJobCountByTypes("paused", "wait");
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
              "paused",
              "active",
              "delayed",
              "prioritized",
              "waiting-children",
            )) === 0,
          { timeoutMs: budget },
        ),
      );
      const seconds = (performance.now() - t0) / 1000;
      out.processing.cpu = (cpuMicros(work.pid) - cpu0[0]) / PIPELINE_SIGNALS;
      out.processing.redisCpu = (cpuMicros(redisPid) - cpu0[1]) / PIPELINE_SIGNALS;
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
      const messages = await deliveries.getJobCountByTypes("paused", "wait", "delayed", "prioritized");
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
      out.delivery.cpu = (cpuMicros(work.pid) - dCpu0[0]) / Math.max(1, receiver.state.count);
      out.delivery.redisCpu = (cpuMicros(redisPid) - dCpu0[1]) / Math.max(1, receiver.state.count);
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

/** How many of the platform's signals have the given status (SCAN over their status hashes). */
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
      for (const [, value] of await pipeline.exec()) if (value === status) count += 1;
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
  (error) => abort(`failed: ${error?.stack ?? error}`),
);
