import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEndpoint } from "../delivery/endpoints.js";
import { enqueueEvent } from "../delivery/outbox.js";
import { Receiver } from "../delivery/testing.js";
import { startDeliveryWorker } from "../delivery/worker.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { startReplayWorker } from "./replays.js";
import type { AuditEntry, EndpointAttempts, Failure, MessageAttempts } from "./schemas.js";
import { appeal, send, startStandInProcessor, waitForFailed } from "./testing.js";

const root = resolve(import.meta.dirname, "../../../..");
const cli = join(root, "packages/gateway/dist/cli/main.js");
const source = join(root, "packages/gateway/src/cli/ops.ts");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `gigbridge` binary as a script would. */
function gigbridge(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const clean = { ...process.env };
    delete clean.GIGBRIDGE_URL;
    delete clean.GIGBRIDGE_OPS_TOKEN;
    delete clean.REDIS_URL;
    const child = spawn(process.execPath, [cli, ...args], { env: { ...clean, ...env }, cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(stdin ?? "");
  });
}

describe("gigbridge ops (the built binary against a running gateway)", () => {
  let t: TestGateway;
  let env: Record<string, string>;
  let replays: { close(): Promise<void> };
  const tmp = mkdtempSync(join(tmpdir(), "gigbridge-ops-cli-"));

  beforeAll(async () => {
    if (!existsSync(cli) || statSync(cli).mtimeMs < statSync(source).mtimeMs) {
      throw new Error(
        "packages/gateway/dist is missing or older than src/cli/ops.ts: run `npx turbo run build`",
      );
    }
    t = await startTestGateway({ workers: false });
    replays = startReplayWorker(t.running.gw);
    env = { GIGBRIDGE_URL: t.url, GIGBRIDGE_OPS_TOKEN: testKeys.operator };
  });
  afterAll(async () => {
    await replays?.close();
    await t?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("lists, shows, dry-runs and replays no_route failures after an org is added, and audits it", async () => {
    const routed = new Set(["110105"]);
    const processor = startStandInProcessor(t, (job) => {
      const region = (job.data.signal.data as { regionCode: string }).regionCode;
      return [...routed].some((r) => region.startsWith(r)) ? undefined : "no_route: nobody covers the region";
    });
    try {
      await send(t, [appeal("cli-1", "310115"), appeal("cli-2", "310115"), appeal("cli-3", "320102")]);
      await waitForFailed(t, "signals", 3);

      const asJson = await gigbridge(["ops", "failures", "--reason", "no_route", "--json"], env);
      expect(asJson.code).toBe(0);
      const page = JSON.parse(asJson.stdout) as { items: Failure[]; next: string | null };
      expect(page.items.map((i) => i.signalId).sort()).toEqual(["cli-1", "cli-2", "cli-3"]);

      const human = await gigbridge(["ops", "failures", "--since", "1h"], env);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/^ID\s+REASON\s+TYPE/);
      expect(human.stdout).toContain("signals:platform-a|cli-1");
      expect(human.stdout).toContain("3 shown.");

      const shown = await gigbridge(["ops", "show", "signals:platform-a|cli-2"], env);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/reason:\s+no_route/);
      expect(shown.stdout).toContain("no_route: nobody covers the region");

      const org = join(tmp, "pudong.json");
      writeFileSync(
        org,
        JSON.stringify({
          id: "pudong",
          code: "T-310115",
          name: "Pudong",
          kind: "district_committee",
          parent: null,
          regions: ["310115"],
        }),
      );
      const added = await gigbridge(["ops", "orgs", "add", org], env);
      expect(added.code).toBe(0);
      routed.add("310115");
      // The listing reads every page of /v1/ops/orgs through the SDK's list iterator.
      const listed = await gigbridge(["ops", "orgs", "--json"], env);
      expect(listed.code).toBe(0);
      expect((JSON.parse(listed.stdout) as { items: { id: string }[] }).items.map((o) => o.id)).toContain(
        "pudong",
      );

      const dry = await gigbridge(["ops", "replay", "--reason", "no_route", "--dry-run", "--json"], env);
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.stdout)).toEqual({ dryRun: true, count: 3 });

      const run = await gigbridge(["ops", "replay", "--reason", "no_route"], env);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(
        /^Replay rpl_\S+ completed: 3 replayed, 0 no longer failed, 0 could not be replayed/,
      );
      // cli-3's region is still uncovered: it fails again and is the only failure left.
      await waitFor(() => processor.runs.get("platform-a|cli-3") === 2, {
        description: "cli-3 to run again",
      });
      await waitForFailed(t, "signals", 1);
      expect(processor.runs.get("platform-a|cli-1")).toBe(2);

      const again = await gigbridge(["ops", "replay", "--ids", "signals:platform-a|cli-1", "--json"], env);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ status: "completed", done: 0, skipped: 1 });

      const fromStdin = await gigbridge(
        ["ops", "replay", "--ids", "-", "--dry-run", "--json"],
        env,
        "signals:platform-a|cli-3\n",
      );
      expect(JSON.parse(fromStdin.stdout)).toEqual({ dryRun: true, count: 1 });

      const audit = await gigbridge(["ops", "audit", "--action", "replay", "--json"], env);
      expect(audit.code).toBe(0);
      const entries = (JSON.parse(audit.stdout) as { items: AuditEntry[] }).items;
      expect(entries.map((e) => [e.operator, e.outcome, e.count])).toEqual([
        ["operator", "accepted", 0],
        ["operator", "accepted", 3],
      ]);
      expect(entries[1]?.filter).toMatchObject({ reason: "no_route" });
      const auditTable = await gigbridge(["ops", "audit"], env);
      expect(auditTable.stdout).toMatch(/^AT\s+WHO\s+ACTION/);
      expect(auditTable.stdout).toContain("org.put");
    } finally {
      await processor.close();
    }
  });

  it("exits with codes scripts can trust", async () => {
    const viewer = { ...env, GIGBRIDGE_OPS_TOKEN: testKeys.viewer };
    expect((await gigbridge(["ops", "failures"], { GIGBRIDGE_URL: t.url })).code).toBe(2);
    expect((await gigbridge(["ops", "failures", "--colour"], env)).code).toBe(2);
    expect((await gigbridge(["ops", "replay"], env)).code).toBe(2);
    expect((await gigbridge(["ops", "replay", "--since", "yesterday-ish", "--dry-run"], env)).code).toBe(2);
    expect((await gigbridge(["ops", "failures", "--token", "gb_op_wrong"], env)).code).toBe(3);
    const refused = await gigbridge(["ops", "replay", "--all"], viewer);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain("403");
    expect((await gigbridge(["ops", "show", "signals:platform-a|nothing"], viewer)).code).toBe(4);
    const port = await freePort();
    const away = await gigbridge(["ops", "failures", "--url", `http://127.0.0.1:${port}`], env);
    expect(away.code).toBe(6);
    expect(away.stderr).toContain("cannot reach the gateway");
    expect((await gigbridge(["ops", "nonsense"], env)).code).toBe(2);
  });

  it("reads a delivered message's attempts and an endpoint's", async () => {
    const receiver = await Receiver.start();
    const worker = startDeliveryWorker(t.running.gw);
    try {
      receiver.reply = () => ({ status: 200, body: "the receiver's own words" });
      const { endpoint } = await createEndpoint(t.running.gw, "street-a", { url: receiver.url });
      const {
        messageIds: [messageId],
      } = await enqueueEvent(t.running.gw, {
        eventId: "cli-attempts-1",
        orgId: "street-a",
        type: "endpoint.ping",
        data: { endpointId: endpoint.id, message: "hello" },
      });
      const viewer = { ...env, GIGBRIDGE_OPS_TOKEN: testKeys.viewer };
      const read = await waitFor(
        async () => {
          const run = await gigbridge(["ops", "attempts", messageId as string, "--json"], viewer);
          const body = run.code === 0 ? (JSON.parse(run.stdout) as MessageAttempts) : undefined;
          return body?.state === "delivered" ? body : undefined;
        },
        { description: "the message to read as delivered" },
      );
      expect(read).toMatchObject({
        messageId,
        orgId: "street-a",
        endpointId: endpoint.id,
        type: "endpoint.ping",
      });
      expect(read.items.map((a) => [a.attempt, a.outcome, a.status])).toEqual([[1, "success", 200]]);

      const human = await gigbridge(["ops", "attempts", messageId as string], viewer);
      expect(human.code).toBe(0);
      expect(human.stdout).toContain("state:    delivered");
      expect(human.stdout).toMatch(/1 +\S+ \S+ +success +200/);
      expect(human.stdout).not.toContain("the receiver's own words");

      const byEndpoint = await gigbridge(
        ["ops", "attempts", "--org", "street-a", "--endpoint", endpoint.id, "--json"],
        viewer,
      );
      expect(byEndpoint.code).toBe(0);
      const listed = JSON.parse(byEndpoint.stdout) as EndpointAttempts;
      expect(listed.items.map((a) => [a.messageId, a.status])).toEqual([[messageId, 200]]);

      expect((await gigbridge(["ops", "attempts", "msg_0000"], viewer)).code).toBe(4);
      expect((await gigbridge(["ops", "attempts", "--org", "street-a"], viewer)).code).toBe(2);
      expect(
        (await gigbridge(["ops", "attempts", "--org", "street-a", "--endpoint", "nope"], viewer)).code,
      ).toBe(4);
    } finally {
      await worker.close();
      await receiver.close();
    }
  });

  it("creates operator tokens in Redis that the gateway accepts with their role", async () => {
    expect(
      (await gigbridge(["ops", "token", "create", "--role", "admin"], { REDIS_URL: t.redis.url })).code,
    ).toBe(2);
    expect((await gigbridge(["ops", "token", "create", "--role", "viewer"], {})).code).toBe(2);
    const created = await gigbridge(["ops", "token", "create", "--role", "viewer", "--name", "ci-bot"], {
      REDIS_URL: t.redis.url,
    });
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^gb_op_/);
    expect(created.stderr).not.toContain(token);
    const withIt = { GIGBRIDGE_URL: t.url, GIGBRIDGE_OPS_TOKEN: token };
    expect((await gigbridge(["ops", "failures"], withIt)).code).toBe(0);
    // A viewer may count (a dry run changes nothing) but not replay.
    expect((await gigbridge(["ops", "replay", "--all", "--dry-run"], withIt)).code).toBe(0);
    expect((await gigbridge(["ops", "replay", "--all"], withIt)).code).toBe(3);
    const audit = await gigbridge(["ops", "audit", "--operator", "ci-bot", "--json"], env);
    expect((JSON.parse(audit.stdout) as { items: AuditEntry[] }).items).toMatchObject([
      { operator: "ci-bot", role: "viewer", action: "replay", outcome: "denied" },
      { operator: "ci-bot", role: "viewer", action: "replay.dry_run", outcome: "counted" },
    ]);
  });
});

describe("CLI helpers", () => {
  it("draws a progress bar that never overflows", async () => {
    const { progressBar } = await import("../cli/ops.js");
    expect(progressBar(0, 10, 10)).toBe("[----------]   0%  0/10");
    expect(progressBar(5, 10, 10)).toBe("[#####-----]  50%  5/10");
    expect(progressBar(12, 10, 10)).toBe("[##########] 100%  12/10");
    expect(progressBar(0, 0, 10)).toBe("[##########] 100%  0/0");
  });

  it("reads times as RFC 3339 or as a duration ago", async () => {
    const { parseTime } = await import("../cli/ops.js");
    const now = Date.parse("2024-06-01T12:00:00Z");
    expect(parseTime("2h", now)).toBe("2024-06-01T10:00:00.000Z");
    expect(parseTime("30m", now)).toBe("2024-06-01T11:30:00.000Z");
    expect(parseTime("2024-06-01T09:00:00+08:00", now)).toBe("2024-06-01T09:00:00+08:00");
    expect(() => parseTime("last tuesday", now)).toThrow(/not a time/);
  });
});
