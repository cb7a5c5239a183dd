import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@gigbridge/testkit";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FlushEvent, GigBridge, type GigBridgeOptions } from "./client.js";
import { ClientClosedError, GigBridgeError, ServerError, ValidationError } from "./errors.js";
import { Spool } from "./spool.js";
import {
  accept,
  baseUrl,
  batchUrl,
  exampleSignal,
  gatewayRoute,
  problem,
  signalsOf,
} from "./testing/gateway-mock.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

let dir: string;
const clients: GigBridge[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "gigbridge-spool-"));
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close({ timeoutMs: 10 });
  server.resetHandlers();
  rmSync(dir, { recursive: true, force: true });
});

function client(options: Partial<GigBridgeOptions> = {}): GigBridge {
  const c = new GigBridge({
    apiKey: "gb_test_key",
    baseUrl,
    spool: { dir },
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    ...options,
  });
  clients.push(c);
  return c;
}

/** The ids a fresh spool on the directory would re-send. */
async function recovered(spool: Spool): Promise<string[]> {
  const ids: string[] = [];
  for await (const item of spool.recover()) if ("signal" in item) ids.push(item.signal.id);
  return ids;
}

const spooled = () => readdirSync(dir).filter((name) => name.endsWith(".json"));

describe("spool", () => {
  it("has the signal on disk when enqueue returns and removes it once accepted", async () => {
    server.use(gatewayRoute(batchUrl).handler);
    const c = client();
    await c.ready();
    const signal = exampleSignal();
    const outcome = c.enqueue(signal);
    expect(spooled()).toEqual([`${signal.id}.json`]);
    await c.flush();
    expect(await outcome).toEqual({ id: signal.id, status: "accepted" });
    expect(spooled()).toEqual([]);
  });

  it("removes a duplicate too: the gateway already has it", async () => {
    const signal = exampleSignal();
    server.use(gatewayRoute(batchUrl, (r) => accept(signalsOf(r), [signal.id!])).handler);
    const c = client();
    const outcome = c.enqueue(signal);
    await c.flush();
    expect((await outcome).status).toBe("duplicate");
    expect(spooled()).toEqual([]);
  });

  it("keeps a signal whose retries ran out, and a new client on the directory sends it", async () => {
    server.use(gatewayRoute(batchUrl, () => problem(503)).handler);
    const first = client();
    const signal = exampleSignal();
    const outcome = first.enqueue(signal);
    await first.flush();
    await expect(outcome).rejects.toBeInstanceOf(ServerError);
    await first.close();
    expect(spooled()).toHaveLength(1);

    server.resetHandlers();
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const second = client();
    const flushes: FlushEvent[] = [];
    second.on("flush", (event) => flushes.push(event));
    await waitFor(() => flushes.length === 1, { description: "the leftover to be re-sent" });
    expect(flushes[0]).toEqual({ count: 1, accepted: 1, duplicates: 0, failed: 0 });
    expect(signalsOf(route.requests[0]!).map((s) => s.id)).toEqual([signal.id]);
    expect(spooled()).toEqual([]);
  });

  it("writes what was enqueued while the spool opened, before anything is sent", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client();
    const signal = exampleSignal();
    const outcome = c.enqueue(signal); // the spool's module is still loading
    await c.ready();
    expect(spooled()).toEqual([`${signal.id}.json`]);
    await c.flush();
    expect(await outcome).toEqual({ id: signal.id, status: "accepted" });
    expect(spooled()).toEqual([]);
  });

  it("rejects queued signals and says why when the spool cannot open", async () => {
    const file = join(dir, "not-a-directory");
    writeFileSync(file, "");
    const c = client({ spool: { dir: join(file, "spool") } });
    const outcome = c.enqueue(exampleSignal());
    await expect(c.ready()).rejects.toThrow(/could not open the spool/);
    await expect(outcome).rejects.toThrow(/could not open the spool/);
    await expect(c.enqueue(exampleSignal())).rejects.toThrow(/could not open the spool/);
  });

  it("streams a large backlog without holding more than maxQueueSize signals in memory", async () => {
    const spool = new Spool({ dir, fsync: false });
    const ids = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const signal = exampleSignal();
      ids.add(signal.id!);
      spool.write(signal as never);
    }
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client({ maxQueueSize: 7, flushAt: 5, maxBatchSize: 5 });
    let largest = 0;
    c.on("flush", () => {
      largest = Math.max(largest, c.queueSize);
    });
    const sizes: number[] = [];
    const watch = setInterval(() => sizes.push(c.queueSize), 1);
    await waitFor(() => spooled().length === 0, { description: "the backlog to drain" });
    clearInterval(watch);
    const sent = route.requests.flatMap((r) => signalsOf(r).map((s) => s.id));
    expect(new Set(sent)).toEqual(ids);
    expect(sent).toHaveLength(60); // each exactly once
    expect(Math.max(largest, ...sizes)).toBeLessThanOrEqual(7);
    expect(route.requests.every((r) => signalsOf(r).length <= 5)).toBe(true);
  });

  it("re-sends leftovers with the same ids and bodies", async () => {
    const spool = new Spool({ dir });
    const signals = [exampleSignal(), exampleSignal(), exampleSignal()].map((s) => ({
      ...s,
      occurredAt: "2024-06-01T09:30:00+08:00",
    }));
    for (const s of signals) spool.write(s as never);
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client();
    await waitFor(() => route.requests.length === 1, { description: "the leftovers to be sent" });
    await c.flush();
    const byId = (list: { id?: string }[]) => [...list].sort((a, b) => (a.id! < b.id! ? -1 : 1));
    expect(byId(signalsOf(route.requests[0]!))).toEqual(byId(signals));
  });

  it("deletes a signal the gateway refused as invalid, and emits error", async () => {
    server.use(
      gatewayRoute(batchUrl, () =>
        problem(422, { errors: [{ pointer: "/signals/0/data/reason", detail: "must be one of" }] }),
      ).handler,
    );
    const c = client();
    const errors: unknown[] = [];
    c.on("error", (e) => errors.push(e));
    const outcome = c.enqueue(exampleSignal());
    await c.flush();
    await expect(outcome).rejects.toBeInstanceOf(ValidationError);
    expect(errors).toEqual([expect.any(ValidationError)]);
    expect(spooled()).toEqual([]);
  });

  it("keeps signals refused for a bad key, so a fixed key can send them later", async () => {
    server.use(gatewayRoute(batchUrl, () => problem(401)).handler);
    const c = client();
    const outcome = c.enqueue(exampleSignal());
    await c.flush();
    await expect(outcome).rejects.toBeInstanceOf(GigBridgeError);
    expect(spooled()).toHaveLength(1);
  });

  it("keeps what close() could not send in time", async () => {
    server.use(gatewayRoute(batchUrl, () => new Promise<Response>(() => {})).handler);
    const c = client();
    const outcome = c.enqueue(exampleSignal());
    await c.close({ timeoutMs: 50 });
    await expect(outcome).rejects.toBeInstanceOf(ClientClosedError);
    expect(spooled()).toHaveLength(1);
  });

  it("removes the file of a signal dropped under drop-oldest", async () => {
    const c = client({ maxQueueSize: 1, onQueueFull: "drop-oldest" });
    await c.ready();
    const oldest = exampleSignal();
    const dropped = c.enqueue(oldest);
    const newest = exampleSignal();
    void c.enqueue(newest);
    await expect(dropped).rejects.toThrow();
    expect(spooled()).toEqual([`${newest.id}.json`]);
    server.use(gatewayRoute(batchUrl).handler);
    await c.flush();
  });

  it("does not write a signal that fails validation or finds the queue full", async () => {
    const c = client({ maxQueueSize: 1 });
    await c.ready();
    await expect(c.enqueue({ type: "worker.offboarded", data: {} } as never)).rejects.toBeInstanceOf(
      ValidationError,
    );
    const kept = c.enqueue(exampleSignal());
    await expect(c.enqueue(exampleSignal())).rejects.toThrow(/queue/);
    expect(spooled()).toHaveLength(1);
    server.use(gatewayRoute(batchUrl).handler);
    await c.flush();
    await kept;
  });

  it("deletes half-written temp files and sets aside unreadable ones on start", async () => {
    writeFileSync(join(dir, ".tmp-1234-0"), '{"signal":');
    writeFileSync(join(dir, "broken.json"), "not json");
    const c = client();
    const errors: unknown[] = [];
    c.on("error", (e) => errors.push(e));
    await waitFor(() => errors.length === 1, { description: "the corrupt file to be reported" });
    expect(existsSync(join(dir, ".tmp-1234-0"))).toBe(false);
    expect(existsSync(join(dir, "broken.json.corrupt"))).toBe(true);
    expect(String(errors[0])).not.toContain("not json");
  });

  it("keeps ids with path characters inside the directory", async () => {
    const spool = new Spool({ dir });
    spool.write({ ...exampleSignal(), id: "../a/b:c" } as never);
    expect(spooled()).toEqual(["..%2Fa%2Fb%3Ac.json"]);
    expect(await recovered(new Spool({ dir }))).toEqual(["../a/b:c"]);
    spool.remove("../a/b:c");
    expect(spooled()).toEqual([]);
  });

  it("names a file by hash when the encoded id would be too long for the file system", async () => {
    const spool = new Spool({ dir });
    const id = ":".repeat(128);
    spool.write({ ...exampleSignal(), id } as never);
    expect(spooled()).toEqual([expect.stringMatching(/^%sha256-[0-9a-f]{64}\.json$/)]);
    expect(await recovered(new Spool({ dir }))).toEqual([id]);
    spool.remove(id);
    expect(spooled()).toEqual([]);
  });
});
