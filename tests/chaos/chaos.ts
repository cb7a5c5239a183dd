import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import { Queue } from "bullmq";
import { Redis } from "ioredis";

/**
 * The chaos suite: real `serve` and `work` processes on one redis-server under
 * a steady load of signals; processes are SIGKILLed and restarted in a loop,
 * Redis is SIGKILLed once and restarted from its append-only file, and the
 * webhook receiver answers 503 for a while. At the end, what platforms were
 * told is compared with what exists.
 */

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "packages/gateway/dist/cli/main.js");
const platformKey = "gb_pk_dev_demo_delivery_0123456789abcdef";
const orgKey = "gb_ok_dev_jianwai_street_0123456789ab";
const viewer = "gb_op_dev_viewer_0123456789abcdef0123";

export interface ChaosOptions {
  signals: number;
  /** The load is spread over this long, so the chaos has time for its rounds (Redis dies in round 3). */
  durationMs: number;
  /** Milliseconds between process kills. */
  killEveryMs: number;
  receiverDownMs: number;
  log?: (line: string) => void;
}

export interface ChaosFigures {
  acknowledged: number;
  processed: number;
  tasks: number;
  tasksPerSignalMax: number;
  delivered: number;
  webhooksReceived: number;
  failures: number;
  kills: number;
  longestKillToProcessedMs: number;
  seconds: number;
  problems: string[];
}

interface Proc {
  role: "serve" | "work";
  port: number;
  child: ChildProcess;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosFigures> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "gigbridge-chaos-"));
  const redis = await RedisServer.start();
  const problems: string[] = [];

  // The receiver: records every webhook-id, answers 503 while "down".
  const received = new Map<string, number>();
  let receiverDown = false;
  const receiverPort = await freePort();
  const receiver: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      if (receiverDown) {
        res.writeHead(503).end();
        return;
      }
      const id = String(req.headers["webhook-id"]);
      received.set(id, (received.get(id) ?? 0) + 1);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => receiver.listen(receiverPort, "127.0.0.1", done));

  const config = JSON.parse(readFileSync(join(root, "examples/dev/config.json"), "utf8")) as {
    endpoints: { url: string }[];
    retry?: unknown;
  };
  for (const endpoint of config.endpoints) endpoint.url = `http://127.0.0.1:${receiverPort}/webhooks`;
  config.retry = { schedule: [0, "1s", "2s", "2s", "3s", "3s", "3s", "3s", "3s", "3s"], jitter: 0 };
  const configPath = join(dir, "config.json");
  writeFileSync(configPath, JSON.stringify(config));
  const env = {
    ...process.env,
    REDIS_URL: redis.url,
    GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
    LOG_LEVEL: "fatal",
  };
  const spawnProc = (role: Proc["role"], port: number): Proc => ({
    role,
    port,
    child: spawn(process.execPath, [cli, role, "--config", configPath, "--port", String(port)], {
      cwd: root,
      env,
      stdio: "ignore",
    }),
  });
  const procs: Proc[] = [];
  for (const role of ["serve", "serve", "work", "work"] as const)
    procs.push(spawnProc(role, await freePort()));
  const serveUrls = () => procs.filter((p) => p.role === "serve").map((p) => `http://127.0.0.1:${p.port}`);
  for (const p of procs) {
    await waitFor(
      async () => (await fetch(`http://127.0.0.1:${p.port}/readyz`).catch(() => undefined))?.status === 200,
      {
        timeoutMs: 30_000,
        description: `${p.role} ready`,
      },
    );
  }

  const signalsQueue = new Queue("signals", {
    connection: new Redis(redis.url, { maxRetriesPerRequest: null }),
    prefix: "{gb:signals}",
  });
  signalsQueue.on("error", () => {});

  // Load: appeals (one task each, R5), sent in small batches with retries across the serve processes.
  const acknowledged = new Set<string>();
  let stopLoad = false;
  const load = (async () => {
    const pause = (options.durationMs * 10) / options.signals;
    for (let i = 0; i < options.signals && !stopLoad; i += 10) {
      await new Promise((done) => setTimeout(done, pause));
      const batch = Array.from({ length: Math.min(10, options.signals - i) }, (_, j) => ({
        id: `chaos-${i + j}`,
        type: "appeal.raised",
        occurredAt: new Date().toISOString(),
        data: {
          workerId: `w-${i + j}`,
          category: "wages",
          urgency: "normal",
          summary: "x",
          regionCode: "110105001",
        },
      }));
      for (let attempt = 0; ; attempt++) {
        const urls = serveUrls();
        const url = urls[attempt % urls.length];
        const res = await fetch(`${url}/v1/signals/batch`, {
          method: "POST",
          headers: { authorization: `Bearer ${platformKey}`, "content-type": "application/json" },
          body: JSON.stringify({ signals: batch }),
        }).catch(() => undefined);
        if (res?.status === 202) {
          for (const s of batch) acknowledged.add(s.id);
          break;
        }
        if (res && res.status < 500 && res.status !== 429) {
          problems.push(`batch ${i} refused with ${res.status}`);
          break;
        }
        await new Promise((done) => setTimeout(done, 100));
      }
    }
  })();

  // Chaos: kill a random process now and then; Redis once; the receiver down for a while.
  let kills = 0;
  let longest = 0;
  const pendingChecks: Promise<void>[] = [];
  let stopChaos = false;
  const chaos = (async () => {
    let round = 0;
    while (!stopChaos) {
      await new Promise((done) => setTimeout(done, options.killEveryMs));
      if (stopChaos) break;
      round++;
      if (round === 3) {
        log("chaos: SIGKILL redis-server, restart from its append-only file");
        await redis.kill();
        await new Promise((done) => setTimeout(done, 1_000));
        await redis.restart();
        log("chaos: redis-server is back");
        continue;
      }
      if (round === 5) {
        log(`chaos: receiver answers 503 for ${options.receiverDownMs} ms`);
        receiverDown = true;
        setTimeout(() => {
          receiverDown = false;
        }, options.receiverDownMs);
      }
      // Any process may die, but not both workers at once: a signal's wait is then measured from one kill,
      // not from a chain of kills of every worker that took it over.
      const ready = async (p: Proc) =>
        (await fetch(`http://127.0.0.1:${p.port}/readyz`).catch(() => undefined))?.status === 200;
      let index = Math.floor(Math.random() * procs.length);
      const candidate = procs[index] as Proc;
      if (candidate.role === "work") {
        const other = procs.find((p) => p.role === "work" && p !== candidate) as Proc;
        if (!(await ready(other))) index = procs.findIndex((p) => p.role === "serve");
      }
      const victim = procs[index] as Proc;
      const held =
        victim.role === "work"
          ? await Promise.race([
              signalsQueue.getActive().catch(() => []),
              new Promise<[]>((done) => setTimeout(() => done([]), 2_000)),
            ])
          : [];
      victim.child.kill("SIGKILL");
      const killedAt = performance.now();
      kills++;
      const kill = kills;
      procs[index] = spawnProc(victim.role, victim.port);
      // The signals active at the kill (held by the victim or another worker) must all be processed.
      const ids = held.map((job) => job.id as string);
      pendingChecks.push(
        (async () => {
          await waitFor(
            async () => {
              const states = await Promise.all(
                ids.map((id) => signalsQueue.getJobState(id).catch(() => "unknown")),
              );
              return states.every((state) => state === "completed" || state === "unknown");
            },
            { timeoutMs: 60_000, intervalMs: 100, description: "held signals processed" },
          ).catch(() => problems.push(`signals held at kill ${kill} not processed within 60 s`));
          const ms = performance.now() - killedAt;
          log(
            `chaos: kill ${kill} (${victim.role}): ${ids.length} signals it could hold, processed ${Math.round(ms)} ms later`,
          );
          longest = Math.max(longest, ms);
        })(),
      );
    }
  })();

  await load;
  stopChaos = true;
  await chaos;
  await Promise.all(pendingChecks);
  receiverDown = false;

  const figures: ChaosFigures = {
    acknowledged: acknowledged.size,
    processed: 0,
    tasks: 0,
    tasksPerSignalMax: 0,
    delivered: 0,
    webhooksReceived: 0,
    failures: 0,
    kills,
    longestKillToProcessedMs: longest,
    seconds: 0,
    problems,
  };
  try {
    const api = serveUrls()[0] as string;
    for (const p of procs) {
      await waitFor(
        async () => (await fetch(`http://127.0.0.1:${p.port}/readyz`).catch(() => undefined))?.status === 200,
        {
          timeoutMs: 30_000,
          description: `${p.role} ready at the end`,
        },
      );
    }
    // Every acknowledged signal processed.
    await waitFor(
      async () => {
        let processed = 0;
        for (const id of acknowledged) {
          const res = await fetch(`${api}/v1/signals/${id}`, {
            headers: { authorization: `Bearer ${platformKey}` },
          });
          if (res.status === 200 && ((await res.json()) as { status: string }).status === "processed")
            processed++;
        }
        figures.processed = processed;
        return processed === acknowledged.size;
      },
      { timeoutMs: 120_000, intervalMs: 1_000, description: "every acknowledged signal processed" },
    ).catch(() =>
      problems.push(`${acknowledged.size - figures.processed} acknowledged signals not processed`),
    );

    // One task per signal (R5 fires once per appeal).
    const perSignal = new Map<string, number>();
    const taskIds: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await fetch(`${api}/v1/tasks?limit=100${cursor ? `&cursor=${cursor}` : ""}`, {
        headers: { authorization: `Bearer ${orgKey}` },
      });
      const page = (await res.json()) as {
        items: { id: string; signalId: string }[];
        nextCursor: string | null;
      };
      for (const task of page.items) {
        perSignal.set(task.signalId, (perSignal.get(task.signalId) ?? 0) + 1);
        taskIds.push(task.id);
      }
      cursor = page.nextCursor;
    } while (cursor);
    figures.tasks = taskIds.length;
    figures.tasksPerSignalMax = Math.max(0, ...perSignal.values());
    for (const id of acknowledged)
      if (perSignal.get(id) !== 1) problems.push(`signal ${id} has ${perSignal.get(id) ?? 0} tasks`);

    // Every task's webhooks delivered: the deliveries queue drains and nothing failed.
    const deliveries = new Queue("deliveries", {
      connection: new Redis(redis.url, { maxRetriesPerRequest: null }),
      prefix: "{gb:deliveries}",
    });
    await waitFor(
      async () => {
        const counts = await deliveries.getJobCounts("waiting", "active", "delayed", "prioritized");
        return Object.values(counts).every((n) => n === 0);
      },
      { timeoutMs: 120_000, intervalMs: 500, description: "deliveries drained" },
    ).catch(() => problems.push("deliveries did not drain"));
    figures.delivered = await deliveries.getCompletedCount();
    await deliveries.close();
    figures.webhooksReceived = received.size;
    if (received.size < figures.tasks)
      problems.push(`${figures.tasks} tasks but ${received.size} webhook ids received`);
    const failures = (await (
      await fetch(`${api}/v1/ops/failures?limit=100`, { headers: { authorization: `Bearer ${viewer}` } })
    ).json()) as { items: { id: string; reason: string }[] };
    figures.failures = failures.items.length;
    for (const failure of failures.items.slice(0, 10))
      problems.push(`failed: ${failure.id} (${failure.reason})`);
    if (longest >= 10_000) problems.push(`longest kill to processed ${Math.round(longest)} ms (limit 10 s)`);
  } finally {
    stopLoad = true;
    for (const p of procs) p.child.kill("SIGKILL");
    await signalsQueue.close().catch(() => {});
    receiver.close();
    await redis.destroy();
    rmSync(dir, { recursive: true, force: true });
    figures.seconds = (performance.now() - started) / 1000;
  }
  return figures;
}
