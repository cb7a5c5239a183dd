import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@gigbridge/testkit";
import { afterEach, beforeEach, expect, it } from "vitest";

/**
 * A real receiver on 127.0.0.1 that keeps the one promise of the gateway this test needs:
 * idempotency by signal id. It stores a batch before answering, and can hold a chosen
 * request open forever, so the client is killed at a known point: after the gateway has
 * stored a batch but before the client heard back, the worst moment for duplicates.
 */
class Receiver {
  readonly acceptedTimes = new Map<string, number>();
  readonly duplicatesReported: string[] = [];
  readonly batches: string[][] = [];
  holdRequest: number | undefined;
  private readonly held: ServerResponse[] = [];
  private server: Server | undefined;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  get heldCount(): number {
    return this.held.length;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (
      req.method !== "POST" ||
      req.url !== "/v1/signals/batch" ||
      req.headers.authorization !== "Bearer gb_crash"
    ) {
      res.writeHead(404).end();
      return;
    }
    const { signals } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { signals: { id: string }[] };
    const ids = signals.map((s) => s.id);
    this.batches.push(ids);
    const accepted: string[] = [];
    const duplicates: string[] = [];
    for (const id of ids) {
      if (this.acceptedTimes.has(id)) {
        duplicates.push(id);
        this.duplicatesReported.push(id);
      } else {
        this.acceptedTimes.set(id, 1);
        accepted.push(id);
      }
    }
    if (this.batches.length === this.holdRequest) {
      this.held.push(res); // stored, never answered
      return;
    }
    res.writeHead(202, { "content-type": "application/json" }).end(JSON.stringify({ accepted, duplicates }));
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const childScript = join(dirname(fileURLToPath(import.meta.url)), "testing", "spool-child.ts");

interface Child {
  process: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

function runChild(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", childScript], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    for (const line of parts) if (line) lines.push(JSON.parse(line));
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { process: child, lines, exited };
}

let receiver: Receiver;
let dir: string;
const children: Child[] = [];

beforeEach(async () => {
  receiver = new Receiver();
  await receiver.start();
  dir = mkdtempSync(join(tmpdir(), "gigbridge-crash-"));
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.process.exitCode === null) child.process.kill("SIGKILL");
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("loses nothing and duplicates nothing when the sender is SIGKILLed mid-flush", async () => {
  const count = 250;
  const env = {
    GIGBRIDGE_BASE_URL: receiver.url,
    GIGBRIDGE_API_KEY: "gb_crash",
    SPOOL_DIR: dir,
    FLUSH_AT: "100",
    MAX_BATCH_SIZE: "100",
    ID_PREFIX: "crash",
  };
  const ids = Array.from({ length: count }, (_, i) => `crash-${i}`);

  // Run 1: the first batch is answered, the second is stored but never answered, then SIGKILL.
  receiver.holdRequest = 2;
  const first = runChild({ ...env, COUNT: String(count) });
  children.push(first);
  await waitFor(() => receiver.heldCount === 1 && first.lines.some((l) => l.event === "enqueued"), {
    timeoutMs: 20_000,
    description: "the child to enqueue everything and send its second batch",
  });
  first.process.kill("SIGKILL");
  const death = await first.exited;
  expect(death.signal).toBe("SIGKILL");
  expect(first.lines.some((l) => l.event === "closed")).toBe(false);

  // Only the answered batch left the disk; the stored-but-unanswered one and the unsent rest did not.
  expect(receiver.batches.map((b) => b.length)).toEqual([100, 100]);
  const left = readdirSync(dir).filter((name) => name.endsWith(".json"));
  expect(left.sort()).toEqual(
    ids
      .slice(100)
      .map((id) => `${id}.json`)
      .sort(),
  );

  // Run 2: a new process on the same directory re-sends what was left and exits cleanly.
  receiver.holdRequest = undefined;
  const second = runChild({ ...env, COUNT: "0" });
  children.push(second);
  const exit = await second.exited;
  expect(exit.stderr).toBe("");
  expect(exit.code).toBe(0);

  // Every signal accepted exactly once; the re-sent stored batch came back as duplicates only.
  expect([...receiver.acceptedTimes.keys()].sort()).toEqual([...ids].sort());
  expect([...receiver.acceptedTimes.values()].every((times) => times === 1)).toBe(true);
  expect(receiver.duplicatesReported.sort()).toEqual(ids.slice(100, 200).sort());
  const flushed = second.lines.filter((l) => l.event === "flush");
  expect(flushed.reduce((n, l) => n + (l.accepted as number), 0)).toBe(50);
  expect(flushed.reduce((n, l) => n + (l.duplicates as number), 0)).toBe(100);
  expect(second.lines.filter((l) => l.event === "error")).toEqual([]);
  expect(readdirSync(dir)).toEqual([]);
});
