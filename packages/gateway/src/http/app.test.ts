import { Writable } from "node:stream";
import SwaggerParser from "@apidevtools/swagger-parser";
import { signalExamples } from "@gigbridge/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../core/logger.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { createApp } from "./app.js";
import { routeModules } from "./routes.js";

describe("the HTTP surface", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ workers: false });
  });
  afterAll(async () => t?.close());

  it("serves an OpenAPI 3.1 document that passes a standard validator", async () => {
    const res = await t.call("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; components: { securitySchemes: object } };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.securitySchemes)).toEqual(
      expect.arrayContaining(["platformKey", "orgKey", "operatorToken"]),
    );
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it("documents every /v1 route the app serves", async () => {
    const doc = (await (await t.call("GET", "/openapi.json")).json()) as { paths: Record<string, object> };
    const app = createApp(t.running.gw, { routes: routeModules });
    const served = new Set(
      app.routes
        .filter((r) => r.path.startsWith("/v1/") && r.method !== "ALL")
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`),
    );
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)),
    );
    for (const route of served) expect(documented, `${route} is served but not documented`).toContain(route);
  });

  it("serves the interactive reference at /docs from its own assets", async () => {
    const res = await t.call("GET", "/docs");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('src="/docs/assets/swagger-ui-bundle.js"');
    expect(html).not.toMatch(/https?:\/\//);
    expect(await (await t.call("GET", "/docs/assets/init.js")).text()).toContain('url: "/openapi.json"');
  });

  it("exports Prometheus metrics for requests, signals and queue depth", async () => {
    await t.call("POST", "/v1/signals", { key: testKeys.platform, body: signalExamples["worker.onboarded"] });
    const text = await (await t.call("GET", "/metrics")).text();
    expect(text).toMatch(
      /gigbridge_http_requests_total\{route="\/v1\/signals",method="POST",status="202"\} 1/,
    );
    expect(text).toMatch(/gigbridge_http_request_duration_seconds_bucket\{le="0.001",route="\/v1\/signals"/);
    expect(text).toMatch(
      /gigbridge_signals_total\{platform="platform-a",type="worker.onboarded",outcome="accepted"\} 1/,
    );
    expect(text).toMatch(/gigbridge_queue_depth\{queue="signals",state="waiting"\} 1/);
  });

  it("answers /healthz always and /readyz while Redis answers", async () => {
    expect((await t.call("GET", "/healthz")).status).toBe(200);
    const ready = await t.call("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", redis: "up" });
  });
});

describe("logs", () => {
  it("redact keys, phone numbers, names and worker ids", () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createLogger({ level: "info", destination: sink });
    log.info(
      {
        headers: { authorization: "Bearer gb_pk_secret" },
        signal: { data: { workerId: "w_42", contact: { name: "Zhang San", phone: "13800000000" } } },
        apiKey: "gb_pk_secret",
      },
      "signal received",
    );
    const text = lines.join("");
    for (const secret of ["gb_pk_secret", "w_42", "Zhang San", "13800000000"])
      expect(text).not.toContain(secret);
    expect(text).toContain("signal received");
  });
});

describe("when Redis is away", () => {
  it("every route that needs Redis answers 503 problem+json with Retry-After, never 500", async () => {
    const t = await startTestGateway({ workers: false });
    try {
      await t.redis.kill();
      const calls: [string, string, string][] = [
        ["GET", "/v1/tasks", testKeys.streetA],
        ["GET", "/v1/endpoints", testKeys.streetA],
        ["GET", "/v1/ops/failures", testKeys.viewer],
        ["GET", "/v1/signals/some-id", testKeys.platform],
      ];
      for (const [method, path, key] of calls) {
        const res = await t.call(method, path, { key });
        expect(res.status, `${method} ${path}`).toBe(503);
        expect(res.headers.get("retry-after"), `${method} ${path}`).toBeTruthy();
        expect(res.headers.get("content-type")).toContain("application/problem+json");
      }
    } finally {
      await t.close();
    }
  });
});
