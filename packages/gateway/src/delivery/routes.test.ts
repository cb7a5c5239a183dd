import { RedisServer } from "@gigbridge/testkit";
import { Webhook } from "standardwebhooks";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { deliveryKeys } from "./keys.js";
import { Receiver, startTestGateway, testConfig } from "./testing.js";

const configSecret = `whsec_${Buffer.alloc(32, 9).toString("base64")}`;

describe("/v1/endpoints", () => {
  let redis: RedisServer;
  let target: Receiver;
  let db = 0;
  const cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
    target = await Receiver.start();
  });
  afterEach(async () => {
    target.reply = () => ({ status: 204 });
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await target?.close();
    await redis?.destroy();
  });

  async function setup(overrides: Parameters<typeof testConfig>[0] = {}) {
    const harness = await startTestGateway(
      `${redis.url}/${++db}`,
      testConfig({
        endpoints: [
          { id: "ep-configured", org: "org-a", url: "https://hooks.example.com/gb", secret: configSecret },
        ],
        ...overrides,
      }),
    );
    cleanups.push(() => harness.gw.close());
    return harness;
  }

  it("creates an endpoint, shows its secret once, and keeps the secret encrypted at rest", async () => {
    const { call, gw } = await setup();
    const created = await call("org-a", "POST", "/v1/endpoints", {
      url: target.url,
      events: ["task.created"],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: target.url,
      events: ["task.created"],
      source: "api",
      status: "enabled",
    });
    expect(created.body.id).toMatch(/^ep-[0-9a-f]{24}$/);
    expect(created.body.secret).toMatch(/^whsec_/);

    const fetched = await call("org-a", "GET", `/v1/endpoints/${created.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.secret).toBeUndefined();
    const listed = await call("org-a", "GET", "/v1/endpoints");
    expect(listed.body.items.map((e: { id: string }) => e.id)).toEqual(["ep-configured", created.body.id]);
    expect(JSON.stringify(listed.body)).not.toContain("whsec_");

    const stored = await gw.redis.hget(deliveryKeys.endpoints("org-a"), created.body.id);
    expect(stored).not.toContain(created.body.secret.slice(6));
    expect(stored).not.toContain("whsec_");
  });

  it("keeps organizations apart", async () => {
    const { call } = await setup();
    const created = await call("org-a", "POST", "/v1/endpoints", { url: target.url });
    for (const [method, path] of [
      ["GET", `/v1/endpoints/${created.body.id}`],
      ["DELETE", `/v1/endpoints/${created.body.id}`],
      ["POST", `/v1/endpoints/${created.body.id}/rotate-secret`],
      ["GET", `/v1/endpoints/${created.body.id}/attempts`],
      ["GET", "/v1/endpoints/ep-configured"],
    ] as const) {
      const response = await call("org-b", method, path);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.headers.get("content-type")).toBe("application/problem+json");
    }
    expect((await call("org-b", "GET", "/v1/endpoints")).body.items).toEqual([]);
  });

  it("needs an org key", async () => {
    const { app } = await setup();
    const response = await app.request("/v1/endpoints");
    expect(response.status).toBe(401);
  });

  it("updates and deletes API endpoints, and refuses to change configured ones", async () => {
    const { call } = await setup();
    const created = await call("org-a", "POST", "/v1/endpoints", {
      url: target.url,
      description: "oa system",
    });
    const patched = await call("org-a", "PATCH", `/v1/endpoints/${created.body.id}`, {
      events: ["task.overdue", "task.updated"],
      description: null,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ["task.overdue", "task.updated"], url: target.url });
    expect(patched.body.description).toBeUndefined();

    for (const [method, path] of [
      ["PATCH", "/v1/endpoints/ep-configured"],
      ["DELETE", "/v1/endpoints/ep-configured"],
      ["POST", "/v1/endpoints/ep-configured/rotate-secret"],
    ] as const) {
      const response = await call(
        "org-a",
        method,
        path,
        method === "PATCH" ? { events: ["task.created"] } : undefined,
      );
      expect(response.status, `${method} ${path}`).toBe(409);
    }

    expect((await call("org-a", "DELETE", `/v1/endpoints/${created.body.id}`)).status).toBe(204);
    expect((await call("org-a", "GET", `/v1/endpoints/${created.body.id}`)).status).toBe(404);
    expect((await call("org-a", "DELETE", `/v1/endpoints/${created.body.id}`)).status).toBe(404);
  });

  it("validates bodies and URLs as problem+json with pointers", async () => {
    const { call } = await setup();
    const badEvent = await call("org-a", "POST", "/v1/endpoints", {
      url: target.url,
      events: ["task.exploded"],
    });
    expect(badEvent.status).toBe(422);
    expect(badEvent.body.errors.map((e: { pointer: string }) => e.pointer)).toContain("/events/0");
    const ftp = await call("org-a", "POST", "/v1/endpoints", { url: "ftp://example.com/x" });
    expect(ftp.status).toBe(422);
    const unknownField = await call("org-a", "POST", "/v1/endpoints", { url: target.url, org: "org-b" });
    expect(unknownField.status).toBe(422);
    const badSecret = await call("org-a", "POST", "/v1/endpoints", {
      url: target.url,
      secret: "whsec_tooshort",
    });
    expect(badSecret.status).toBe(422);
  });

  it("refuses a loopback URL when only private networks are allowed", async () => {
    const { call } = await setup({ delivery: { allowNetworks: ["private"] } });
    for (const url of [
      "http://127.0.0.1:8080/hooks",
      "http://[::1]:8080/hooks",
      "http://[::ffff:127.0.0.1]/x",
      "http://localhost/x",
    ]) {
      const response = await call("org-a", "POST", "/v1/endpoints", { url });
      expect(response.status, url).toBe(422);
      expect(response.body.errors, url).toEqual([
        { pointer: "/url", detail: expect.stringMatching(/loopback/) },
      ]);
      expect(JSON.stringify(response.body)).not.toContain("127.0.0.1"); // the resolved address is not disclosed
    }
    const metadata = await call("org-a", "POST", "/v1/endpoints", {
      url: "http://169.254.169.254/latest/meta-data",
    });
    expect(metadata.status).toBe(422);
  });

  it("rotates a secret: the new one is shown once, and a test ping verifies with old and new", async () => {
    const { call } = await setup();
    const created = await call("org-a", "POST", "/v1/endpoints", { url: target.url });
    const rotated = await call("org-a", "POST", `/v1/endpoints/${created.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);

    const before = target.requests.length;
    const tested = await call("org-a", "POST", `/v1/endpoints/${created.body.id}/test`, { message: "hello" });
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ outcome: "success", status: 204 });
    const request = target.requests[before]!;
    expect(request.headers["webhook-id"]).toBe(tested.body.messageId);
    const headers = request.headers as Record<string, string>;
    expect(new Webhook(created.body.secret).verify(request.body, headers)).toMatchObject({
      type: "endpoint.ping",
      data: { endpointId: created.body.id, message: "hello" },
    });
    expect(() => new Webhook(rotated.body.secret).verify(request.body, headers)).not.toThrow();

    const own = `whsec_${Buffer.alloc(24, 3).toString("base64")}`;
    const brought = await call("org-a", "POST", `/v1/endpoints/${created.body.id}/rotate-secret`, {
      secret: own,
    });
    expect(brought.body.secret).toBe(own);
  });

  it("reports a failed test ping and lists the attempts, newest first", async () => {
    const { call } = await setup();
    const created = await call("org-a", "POST", "/v1/endpoints", { url: target.url });
    target.reply = () => ({ status: 500, body: "x".repeat(5_000) });
    const failed = await call("org-a", "POST", `/v1/endpoints/${created.body.id}/test`);
    expect(failed.body).toMatchObject({ outcome: "retry", status: 500 });
    expect(failed.body.response).toHaveLength(1024);
    target.reply = () => ({ status: 200, body: "ok" });
    const ok = await call("org-a", "POST", `/v1/endpoints/${created.body.id}/test`);

    const attempts = await call("org-a", "GET", `/v1/endpoints/${created.body.id}/attempts?limit=10`);
    expect(attempts.status).toBe(200);
    expect(attempts.body.items.map((a: { messageId: string }) => a.messageId)).toEqual([
      ok.body.messageId,
      failed.body.messageId,
    ]);
    expect(attempts.body.items[0]).toMatchObject({
      outcome: "success",
      status: 200,
      response: "ok",
      attempt: 1,
    });
    const one = await call(
      "org-a",
      "GET",
      `/v1/endpoints/${created.body.id}/attempts?messageId=${failed.body.messageId}`,
    );
    expect(one.body.items).toHaveLength(1);
    expect(one.body.items[0].status).toBe(500);

    // One page at a time, newest first, by the cursor; the old `attempts` field still reads the same items.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call(
        "org-a",
        "GET",
        `/v1/endpoints/${created.body.id}/attempts?limit=1${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.status).toBe(200);
      expect(page.body.attempts).toEqual(page.body.items);
      seen.push(...page.body.items.map((a: { messageId: string; attemptedAt: string }) => a.messageId));
      cursor = page.body.nextCursor;
    } while (cursor && seen.length < 10);
    expect(seen).toEqual([ok.body.messageId, failed.body.messageId]);
    const bad = await call("org-a", "GET", `/v1/endpoints/${created.body.id}/attempts?cursor=bm9wZQ`);
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([expect.objectContaining({ pointer: "/query/cursor" })]);
  });

  it("pages through endpoints in one order, configured first, with no repeat and no gap", async () => {
    const { call } = await setup();
    const made: string[] = [];
    for (let i = 0; i < 3; i++) {
      made.push((await call("org-a", "POST", "/v1/endpoints", { url: target.url })).body.id);
    }
    const all = (await call("org-a", "GET", "/v1/endpoints")).body;
    expect(all.endpoints).toEqual(all.items);
    expect(all.nextCursor).toBeNull();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await call("org-a", "GET", `/v1/endpoints?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      cursor = page.body.nextCursor;
    } while (cursor && seen.length < 20);
    expect(seen).toEqual(all.items.map((e: { id: string }) => e.id));
    expect(seen[0]).toBe("ep-configured");
    expect(seen.slice(1).sort()).toEqual([...made].sort());
  });

  it("re-enables a disabled endpoint", async () => {
    const { call, gw } = await setup();
    const { disableEndpoint } = await import("./health.js");
    await disableEndpoint(gw, "org-a", "ep-configured", "gone", Date.now());
    const disabled = await call("org-a", "GET", "/v1/endpoints/ep-configured");
    expect(disabled.body).toMatchObject({ status: "disabled", disabledReason: "gone" });
    const enabled = await call("org-a", "POST", "/v1/endpoints/ep-configured/enable");
    expect(enabled.status).toBe(200);
    expect(enabled.body.status).toBe("enabled");
    expect(enabled.body.disabledReason).toBeUndefined();
  });

  it("publishes every route in the OpenAPI document", async () => {
    const { gw } = await setup();
    const { createApp } = await import("../http/app.js");
    const { endpointRoutes } = await import("./routes.js");
    const response = await createApp(gw, { routes: [endpointRoutes] }).request("/openapi.json");
    const doc = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    expect(
      Object.keys(doc.paths)
        .filter((path) => path.startsWith("/v1/"))
        .sort(),
    ).toEqual([
      "/v1/endpoints",
      "/v1/endpoints/{id}",
      "/v1/endpoints/{id}/attempts",
      "/v1/endpoints/{id}/enable",
      "/v1/endpoints/{id}/rotate-secret",
      "/v1/endpoints/{id}/test",
    ]);
    expect(Object.keys(doc.paths["/v1/endpoints/{id}"] ?? {}).sort()).toEqual(["delete", "get", "patch"]);
  });
});
