import { connect } from "node:net";
import { Writable } from "node:stream";
import SwaggerParser from "@apidevtools/swagger-parser";
import { signalExamples } from "@gigbridge/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../core/logger.js";
import { routeModules } from "../runtime/routes.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { createApp } from "./app.js";

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

  it("documents every route the app serves, not only /v1", async () => {
    const doc = (await (await t.call("GET", "/openapi.json")).json()) as { paths: Record<string, object> };
    const app = createApp(t.running.gw, { routes: routeModules });
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => ({ method, path })),
    );
    const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");
    const missing = app.routes.flatMap(({ method, path }) => {
      // `use` and `all` register under ALL: middleware over a prefix, or a mounted app (the queue view).
      if (path.endsWith("*")) {
        const prefix = path.slice(0, -1).replace(/\/$/, "");
        const covered = documented.some((d) => d.path === prefix || d.path.startsWith(`${prefix}/`));
        return covered || prefix === "" ? [] : [`${method} ${path}`];
      }
      const wanted = openApiPath(path);
      const covered = documented.some(
        (d) => d.path === wanted && (method === "ALL" || d.method === method.toLowerCase()),
      );
      return covered ? [] : [`${method} ${path}`];
    });
    expect(missing, "served but not in /openapi.json").toEqual([]);
    // The probes, the document itself, the reference and the queue view are served and documented.
    for (const path of ["/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/ops/queues"]) {
      expect(Object.keys(doc.paths), path).toContain(path);
      expect(app.routes.some((r) => r.path === path)).toBe(true);
    }
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
    const scrape = await t.call("GET", "/metrics");
    expect(scrape.headers.get("content-type")).toBe(t.running.gw.metrics.registry.contentType);
    const text = await scrape.text();
    expect(text).toMatch(
      /gigbridge_http_requests_total\{route="\/v1\/signals",method="POST",status="202"\} 1/,
    );
    expect(text).toMatch(/gigbridge_http_request_duration_seconds_bucket\{le="0.001",route="\/v1\/signals"/);
    expect(text).toMatch(
      /gigbridge_signals_total\{platform="platform-a",type="worker.onboarded",outcome="accepted"\} 1/,
    );
    expect(text).toMatch(/gigbridge_queue_depth\{queue="signals",state="waiting"\} 1/);
  });

  it("accepts a POST action sent with no body and no Content-Type, as `curl -X POST` sends it", async () => {
    const { hostname, port } = new URL(t.url);
    const reply = await rawRequest(
      Number(port),
      hostname,
      `POST /v1/tasks/tsk_nope/acknowledge HTTP/1.1\r\nHost: ${hostname}\r\n` +
        `Authorization: Bearer ${testKeys.streetA}\r\nConnection: close\r\n\r\n`,
    );
    // Not 415: the request reaches the route, which knows no such task.
    expect(reply).toMatch(/^HTTP\/1.1 404 /);
    expect(reply).toContain("application/problem+json");
  });

  it("still refuses a POST body that is not JSON with 415", async () => {
    const res = await fetch(`${t.url}/v1/signals`, {
      method: "POST",
      headers: { authorization: `Bearer ${testKeys.platform}`, "content-type": "text/plain" },
      body: "{}",
    });
    expect(res.status).toBe(415);
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

/** Sends bytes exactly as given and reads the whole reply (the request says `Connection: close`). */
function rawRequest(port: number, host: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host, () => socket.write(bytes));
    let reply = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => {
      reply += chunk;
    });
    socket.on("end", () => resolve(reply));
    socket.on("error", reject);
  });
}
