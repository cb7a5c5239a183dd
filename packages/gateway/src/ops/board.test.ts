import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import type { AuditEntry } from "./schemas.js";
import { appeal, ops, send, startStandInProcessor, waitForFailed } from "./testing.js";

const basic = (token: string) => `Basic ${Buffer.from(`anyone:${token}`).toString("base64")}`;

describe("queue view at /ops/queues", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ workers: false });
  });
  afterAll(async () => t?.close());

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(t.url + path, { headers, redirect: "manual" });

  it("asks for credentials without a token, and refuses other keys", async () => {
    const none = await get("/ops/queues");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    expect((await get("/ops/queues/api/queues")).status).toBe(401);
    expect((await get("/ops/queues", { authorization: basic(testKeys.platform) })).status).toBe(401);
    expect((await get("/ops/queues?token=gb_op_wrong")).status).toBe(401);
  });

  it("turns ?token= into an HttpOnly cookie and a redirect without the token", async () => {
    const signIn = await get(`/ops/queues?token=${testKeys.viewer}`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe("/ops/queues");
    const cookie = signIn.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^gb_ops=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\/ops\/queues/);
    const session = cookie.split(";")[0] as string;

    const page = await get("/ops/queues", { cookie: session });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<base href="/ops/queues/"');
    const script = html.match(/src="(static\/js\/[^"]+\.js)"/)?.[1];
    expect(script).toBeDefined();
    expect((await get(`/ops/queues/${script}`, { cookie: session })).status).toBe(200);

    const api = await get("/ops/queues/api/queues", { cookie: session });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual([
      "deliveries",
      "erasures",
      "overdue",
      "replays",
      "signals",
    ]);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it("shows job data without worker ids or appeal text", async () => {
    const signal = appeal("board-pii", "110105001");
    await send(t, [signal]);
    const res = await get("/ops/queues/api/queues?activeQueue=signals&status=waiting&page=1", {
      authorization: basic(testKeys.viewer),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain("board-pii");
    expect(text).toContain("[redacted]");
    const data = signal.data as { workerId: string; summary: string };
    expect(text).not.toContain(data.workerId);
    expect(text).not.toContain(data.summary);
    await t.running.gw.queue("signals").drain();
  });

  it("lets an operator act, from the page's own origin only, and audits it; a viewer cannot", async () => {
    const processor = startStandInProcessor(t, () => "no_route");
    await send(t, [appeal("board-1", "310115")]);
    await waitForFailed(t, "signals", 1);
    processor.decide = () => undefined;

    const operatorApi = await get("/ops/queues/api/queues", { authorization: basic(testKeys.operator) });
    const queues = ((await operatorApi.json()) as { queues: { readOnlyMode: boolean }[] }).queues;
    expect(queues.every((q) => !q.readOnlyMode)).toBe(true);

    const retry = (token: string, origin?: string) =>
      fetch(`${t.url}/ops/queues/api/queues/signals/retry/failed`, {
        method: "PUT",
        headers: { authorization: basic(token), ...(origin ? { origin } : {}) },
      });
    // Browsers send Basic credentials by themselves, also from other sites.
    expect((await retry(testKeys.operator)).status).toBe(403);
    expect((await retry(testKeys.operator, "https://evil.example")).status).toBe(403);
    expect((await retry(testKeys.viewer, t.url)).status).toBe(403);
    expect(await t.running.gw.queue("signals").getFailedCount()).toBe(1);

    expect((await retry(testKeys.operator, t.url)).status).toBe(200);
    await waitForFailed(t, "signals", 0);
    await processor.close();

    const audit = await ops<{ items: AuditEntry[] }>(t, "GET", "/v1/ops/audit");
    expect(audit.body.items.map((e) => [e.operator, e.action, e.outcome, e.target])).toEqual([
      ["operator", "queues.put", "accepted", "/ops/queues/api/queues/signals/retry/failed"],
      ["viewer", "queues.put", "denied", "/ops/queues/api/queues/signals/retry/failed"],
    ]);
  });
});
