import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { GigBridge } from "@gigbridge/sdk";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestGateway,
  type TestGateway,
  testKeys,
} from "../packages/gateway/src/test-support/gateway.js";

const root = resolve(import.meta.dirname, "..");

describe("SDK against a real gateway and Redis", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ config: { ingest: { rateLimit: { perSecond: 10_000, burst: 10_000 } } } });
  });
  afterAll(async () => t?.close());

  it("sends signals whose tasks then appear in the org's pull API", async () => {
    const client = new GigBridge({ apiKey: testKeys.platform, baseUrl: t.url });
    const consent = {
      id: "c-sdk",
      grantedAt: "2026-11-29T08:00:00+08:00",
      scopes: ["share_membership" as const],
    };
    const declared = await client.membership.declared(
      {
        workerId: "w-sdk-1",
        politicalStatus: "member",
        regionCode: "110105001",
        homeOrganization: { name: "Home branch" },
        consent,
      },
      { id: "sdk-declare-1" },
    );
    expect(declared).toEqual({ id: "sdk-declare-1", status: "accepted" });
    const queued = client.enqueue({
      id: "sdk-appeal-1",
      type: "appeal.raised",
      data: {
        workerId: "w-sdk-2",
        category: "wages",
        urgency: "urgent",
        summary: "Unpaid wages",
        regionCode: "110105002",
      },
    });
    await client.close({ timeoutMs: 5000 });
    expect(await queued).toEqual({ id: "sdk-appeal-1", status: "accepted" });

    const status = await waitFor(
      async () => {
        const s = await new GigBridge({ apiKey: testKeys.platform, baseUrl: t.url }).signals.get(
          "sdk-declare-1",
        );
        return s.status === "processed" ? s : undefined;
      },
      { description: "the membership signal to be processed" },
    );
    expect(status.tasks).toHaveLength(1);

    const tasksA = (await (await t.call("GET", "/v1/tasks", { key: testKeys.streetA })).json()) as {
      items: { id: string; kind: string }[];
    };
    expect(tasksA.items.map((x) => x.kind)).toContain("register_member");
    expect(tasksA.items.map((x) => x.id)).toContain(status.tasks[0]);
    const tasksB = await waitFor(async () => {
      const body = (await (await t.call("GET", "/v1/tasks", { key: testKeys.streetB })).json()) as {
        items: { kind: string }[];
      };
      return body.items.length > 0 ? body : undefined;
    });
    expect(tasksB.items.map((x) => x.kind)).toEqual(["follow_up_appeal"]);
  });
});

/**
 * A platform process using the spool is killed with SIGKILL while the gateway
 * has stored a batch but before the answer reaches it. A new process on the
 * same spool re-sends what was left; the gateway's idempotency turns the
 * stored batch into duplicates, and every signal is processed exactly once.
 */
describe("SDK spool survives SIGKILL mid-flush against the real gateway", () => {
  let t: TestGateway;
  let proxy: Server;
  let proxyUrl: string;
  let holdSecond = true;
  let batchesSeen = 0;
  let held: (() => void) | undefined;
  const spool = mkdtempSync(join(tmpdir(), "gigbridge-spool-e2e-"));

  beforeAll(async () => {
    t = await startTestGateway({ config: { ingest: { rateLimit: { perSecond: 10_000, burst: 10_000 } } } });
    // Forwards to the gateway; the second batch is forwarded (so it is stored) but its answer is held back.
    proxy = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const upstream = await fetch(t.url + (req.url ?? "/"), {
        method: req.method ?? "GET",
        headers: { authorization: String(req.headers.authorization), "content-type": "application/json" },
        ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
      });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (req.url === "/v1/signals/batch") batchesSeen++;
      if (holdSecond && batchesSeen === 2) {
        held = () => res.destroy();
        return;
      }
      res.writeHead(upstream.status, {
        "content-type": upstream.headers.get("content-type") ?? "application/json",
      });
      res.end(body);
    });
    await new Promise<void>((done) => proxy.listen(0, "127.0.0.1", () => done()));
    const address = proxy.address();
    proxyUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    held?.();
    await new Promise<void>((done) => proxy?.close(() => done()));
    await t?.close();
    rmSync(spool, { recursive: true, force: true });
  });

  const child = (count: number, baseUrl: string): ChildProcess =>
    spawn(process.execPath, ["--import", "tsx", "packages/sdk/src/testing/spool-child.ts"], {
      cwd: root,
      env: {
        ...process.env,
        GIGBRIDGE_BASE_URL: baseUrl,
        GIGBRIDGE_API_KEY: testKeys.platform,
        SPOOL_DIR: spool,
        COUNT: String(count),
        ID_PREFIX: "crash",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });

  it("loses nothing and processes every signal exactly once", async () => {
    const total = 250;
    const first = child(total, proxyUrl);
    const firstExit = new Promise((done) => first.once("exit", done));
    await waitFor(() => batchesSeen >= 2 && held !== undefined, {
      timeoutMs: 20_000,
      description: "the held batch",
    });
    first.kill("SIGKILL");
    await firstExit;
    held?.();
    holdSecond = false;
    expect(readdirSync(spool).length).toBeGreaterThan(0);

    const second = child(0, t.url);
    let out = "";
    second.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    const code = await new Promise<number | null>((done) => second.once("exit", (c) => done(c)));
    expect(code).toBe(0);
    expect(out).toContain('"event":"closed"');
    expect(readdirSync(spool)).toEqual([]);

    const metrics = async () => (await (await t.call("GET", "/metrics")).text()).split("\n");
    const count = (lines: string[], outcome: string) =>
      Number(
        lines
          .find((l) =>
            l.startsWith(
              `gigbridge_signals_total{platform="platform-a",type="worker.offboarded",outcome="${outcome}"}`,
            ),
          )
          ?.split(" ")[1] ?? 0,
      );
    const lines = await metrics();
    expect(count(lines, "accepted")).toBe(total);
    expect(count(lines, "duplicate")).toBeGreaterThan(0);

    const queue = t.running.gw.queue("signals");
    await waitFor(async () => (await queue.getJobCounts("completed")).completed === total, {
      timeoutMs: 20_000,
      description: "every signal processed",
    });
    const counts = await queue.getJobCounts("completed", "failed", "waiting", "active", "delayed");
    expect(counts).toMatchObject({ completed: total, failed: 0, waiting: 0, active: 0, delayed: 0 });
  });
});
