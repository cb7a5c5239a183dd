import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGuardedAgent } from "./network.js";
import { sendAttempt } from "./send.js";
import { Receiver } from "./testing.js";

describe("sendAttempt", () => {
  let receiver: Receiver;
  const agent = createGuardedAgent({ allow: ["loopback"], connectTimeoutMs: 2_000 });
  const send = (overrides: Partial<Parameters<typeof sendAttempt>[0]> = {}) =>
    sendAttempt({
      dispatcher: agent,
      url: receiver.url,
      headers: { "webhook-id": "msg_x" },
      body: '{"type":"endpoint.ping"}',
      timeoutMs: 2_000,
      maxResponseBytes: 1024,
      ...overrides,
    });

  beforeAll(async () => {
    receiver = await Receiver.start();
  });
  afterEach(() => {
    receiver.reply = () => ({ status: 204 });
  });
  afterAll(async () => {
    await receiver.close();
    await agent.close();
  });

  it("POSTs the body with the given headers and counts 2xx as success", async () => {
    receiver.reply = () => ({ status: 200, body: "thanks" });
    const result = await send();
    expect(result).toMatchObject({ outcome: "success", status: 200, response: "thanks" });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    const got = receiver.requests.at(-1)!;
    expect(got.method).toBe("POST");
    expect(got.headers["webhook-id"]).toBe("msg_x");
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.body).toBe('{"type":"endpoint.ping"}');
  });

  it("retries on 5xx and 4xx, disables on 410", async () => {
    receiver.reply = () => ({ status: 500, body: "boom" });
    expect(await send()).toMatchObject({ outcome: "retry", status: 500, response: "boom" });
    receiver.reply = () => ({ status: 400 });
    expect(await send()).toMatchObject({ outcome: "retry", status: 400 });
    receiver.reply = () => ({ status: 410 });
    expect(await send()).toMatchObject({ outcome: "disable", status: 410 });
  });

  it("treats 3xx as a failure and never follows the redirect", async () => {
    const target = await Receiver.start();
    receiver.reply = () => ({ status: 302, headers: { location: target.url } });
    expect(await send()).toMatchObject({ outcome: "retry", status: 302 });
    expect(target.requests).toHaveLength(0);
    await target.close();
  });

  it("reads Retry-After on 429 and 503 only", async () => {
    receiver.reply = () => ({ status: 429, headers: { "retry-after": "7" } });
    expect(await send()).toMatchObject({ outcome: "retry", status: 429, retryAfterMs: 7_000 });
    receiver.reply = () => ({ status: 503, headers: { "retry-after": "2" } });
    expect(await send()).toMatchObject({ outcome: "retry", status: 503, retryAfterMs: 2_000 });
    receiver.reply = () => ({ status: 500, headers: { "retry-after": "2" } });
    expect((await send()).retryAfterMs).toBeUndefined();
  });

  it("keeps only the first maxResponseBytes of a large response", async () => {
    receiver.reply = () => ({ status: 200, body: "x".repeat(200_000) });
    const result = await send({ maxResponseBytes: 1024 });
    expect(result.outcome).toBe("success");
    expect(result.response).toHaveLength(1024);
  });

  it("cuts a receiver that never answers at the timeout", async () => {
    receiver.reply = () => "hang";
    const result = await send({ timeoutMs: 300 });
    expect(result.outcome).toBe("retry");
    expect(result.error).toBe("timeout after 300 ms");
    expect(result.latencyMs).toBeGreaterThanOrEqual(290);
    expect(result.latencyMs).toBeLessThan(2_000);
  });

  it("retries when nothing listens", async () => {
    const gone = await Receiver.start();
    const url = gone.url;
    await gone.close();
    const result = await send({ url });
    expect(result.outcome).toBe("retry");
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it("fails without retry when the address is refused", async () => {
    const strict = createGuardedAgent({ allow: [], connectTimeoutMs: 2_000 });
    const before = receiver.requests.length;
    const result = await send({ dispatcher: strict });
    expect(result).toMatchObject({ outcome: "fail", reason: "network_refused" });
    expect(result.error).toMatch(/loopback/);
    expect(receiver.requests.length).toBe(before);
    await strict.close();
  });
});
