import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fixtures } from "@gigbridge/schemas";
import type { WebhookDelivery } from "@gigbridge/sdk/express";
import { captureRawBody, webhookMiddleware } from "@gigbridge/sdk/express";
import { webhookHandler } from "@gigbridge/sdk/hono";
import { webhookListener } from "@gigbridge/sdk/node-http";
import { serve } from "@hono/node-server";
import express from "express";
import { Hono } from "hono";
import { afterAll, describe, expect, it } from "vitest";
import { generateSecret, webhookHeaders } from "../packages/gateway/src/delivery/signing.js";

/**
 * The SDK's framework handlers, each as a real server on 127.0.0.1, fed deliveries signed by the
 * gateway's own signing code: what an integrator's receiver sees in production.
 */

const secret = generateSecret();
const event = fixtures.events.valid["task.created"][0]!;
const body = JSON.stringify(event); // how the gateway serialises an event
const servers: Server[] = [];

afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  }
});

type OnEvent = (delivery: WebhookDelivery) => unknown;

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
}

const frameworks: Record<string, (onEvent: OnEvent) => Promise<string>> = {
  hono: async (onEvent) => {
    const app = new Hono();
    app.post("/webhooks", webhookHandler({ secret, onEvent }));
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
    servers.push(server);
    await new Promise<void>((done) => (server.listening ? done() : server.once("listening", done)));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  },
  "node:http": (onEvent) => listen(createServer(webhookListener({ secret, onEvent }))),
  express: (onEvent) => {
    const app = express();
    app.post("/webhooks", webhookMiddleware({ secret, onEvent }));
    return listen(createServer(app));
  },
  "express after express.json()": (onEvent) => {
    const app = express();
    app.use(express.json());
    app.post("/webhooks", webhookMiddleware({ secret, onEvent }));
    return listen(createServer(app));
  },
  "express after express.json({ verify: captureRawBody })": (onEvent) => {
    const app = express();
    app.use(express.json({ verify: captureRawBody }));
    app.post("/webhooks", webhookMiddleware({ secret, onEvent }));
    return listen(createServer(app));
  },
};

const nowSec = () => Math.floor(Date.now() / 1000);

function post(url: string, payload: string, headers: Record<string, string>): Promise<Response> {
  return fetch(url, {
    method: "POST",
    body: payload,
    headers: { "content-type": "application/json", ...headers },
  });
}

async function reasonOf(response: Response): Promise<string> {
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  return ((await response.json()) as { reason: string }).reason;
}

describe.each(Object.entries(frameworks))("%s", (name, start) => {
  const received: WebhookDelivery[] = [];
  let failNext = false;
  let url: string;

  it("accepts a delivery signed by the gateway and hands the typed event to the callback", async () => {
    url = await start((delivery) => {
      if (failNext) {
        failNext = false;
        throw new Error("database down");
      }
      received.push(delivery);
    });
    const response = await post(url, body, webhookHeaders("msg_ok", nowSec(), body, [secret]));
    expect(response.status).toBe(204);
    expect(received).toEqual([{ id: "msg_ok", event }]);
  });

  it("refuses a tampered body with 400 and a reason", async () => {
    const headers = webhookHeaders("msg_tampered", nowSec(), body, [secret]);
    const tampered = body.replace(event.data.task.id, "tsk_someone_else");
    const response = await post(url, tampered, headers);
    expect(response.status).toBe(400);
    // Behind express.json() the raw bytes are gone and the re-serialised body does not match;
    // the answer says so rather than blaming the signature.
    expect(await reasonOf(response)).toBe(
      name === "express after express.json()" ? "raw_body_unavailable" : "signature_mismatch",
    );
    expect(received.map((d) => d.id)).not.toContain("msg_tampered");
  });

  it("refuses a stale delivery (a replay) with 400", async () => {
    const response = await post(url, body, webhookHeaders("msg_stale", nowSec() - 301, body, [secret]));
    expect(response.status).toBe(400);
    expect(await reasonOf(response)).toBe("timestamp_too_old");
  });

  it("refuses an unsigned delivery with 400", async () => {
    const response = await post(url, body, {});
    expect(response.status).toBe(400);
    expect(await reasonOf(response)).toBe("missing_headers");
  });

  it("answers 500 when the callback throws, so the gateway retries", async () => {
    failNext = true;
    const response = await post(url, body, webhookHeaders("msg_fails", nowSec(), body, [secret]));
    expect(response.status).toBe(500);
    expect(await response.text()).not.toContain("database down");
  });

  it("answers 2xx only after the callback has resolved", async () => {
    let release!: () => void;
    let started!: () => void;
    const gate = new Promise<void>((done) => {
      release = done;
    });
    const callbackStarted = new Promise<void>((done) => {
      started = done;
    });
    let finished = false;
    const slowUrl = await start(async () => {
      started();
      await gate;
      finished = true;
    });
    let finishedWhenAnswered: boolean | undefined;
    const response = post(slowUrl, body, webhookHeaders("msg_slow", nowSec(), body, [secret])).then((r) => {
      finishedWhenAnswered = finished;
      return r;
    });
    await callbackStarted;
    // Give a wrong implementation every chance to answer early; a right one cannot.
    await Promise.race([response, new Promise((done) => setTimeout(done, 100))]);
    release();
    expect((await response).status).toBe(204);
    expect(finishedWhenAnswered).toBe(true);
  });
});

describe("express after express.json(): when the raw body is really gone", () => {
  it("says so plainly, and the same delivery verifies when the webhook route comes first", async () => {
    // A sender that pretty-prints: parse-then-stringify cannot reproduce these bytes.
    const pretty = JSON.stringify(event, null, 2);
    const headers = webhookHeaders("msg_pretty", nowSec(), pretty, [secret]);

    const behind = express();
    behind.use(express.json());
    behind.post("/webhooks", webhookMiddleware({ secret, onEvent: () => {} }));
    const refused = await post(await listen(createServer(behind)), pretty, headers);
    expect(refused.status).toBe(400);
    const problem = (await refused.json()) as { reason: string; detail: string };
    expect(problem.reason).toBe("raw_body_unavailable");
    expect(problem.detail).toMatch(/raw request body is gone.*express\.json\(\)/);

    const first = express();
    first.post("/webhooks", webhookMiddleware({ secret, onEvent: () => {} }));
    first.use(express.json());
    expect((await post(await listen(createServer(first)), pretty, headers)).status).toBe(204);
  });
});

describe("hono middleware without a callback", () => {
  it("sets the verified event on the context for the next handler", async () => {
    const app = new Hono();
    app.post("/webhooks", webhookHandler({ secret }), (c) =>
      c.json({ type: c.get("webhookEvent").type, id: c.get("webhookId") }, 202),
    );
    const response = await app.request("/webhooks", {
      method: "POST",
      body,
      headers: webhookHeaders("msg_ctx", nowSec(), body, [secret]),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ type: "task.created", id: "msg_ctx" });
  });
});
