import { signalExamples } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { describe, expect, it } from "vitest";
import { startTestGateway, testKeys } from "../test-support/gateway.js";

describe("graceful shutdown", () => {
  it("finishes a request in flight before stopping, and refuses new connections", async () => {
    const t = await startTestGateway({ workers: false });
    const body = JSON.stringify({ ...signalExamples["worker.onboarded"], id: "in-flight-1" });
    const half = Math.floor(body.length / 2);
    let sendRest: (() => void) | undefined;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, half)));
        sendRest = () => {
          controller.enqueue(new TextEncoder().encode(body.slice(half)));
          controller.close();
        };
      },
    });
    const arrived = new Promise<void>((resolve) => t.running.server?.node.once("request", () => resolve()));
    const inFlight = fetch(`${t.url}/v1/signals`, {
      method: "POST",
      headers: { authorization: `Bearer ${testKeys.platform}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await arrived;
    let closed = false;
    const closing = t.running.close().then(() => {
      closed = true;
    });
    // Shutdown waits for the request; new connections are refused meanwhile.
    await waitFor(
      async () => {
        try {
          await fetch(`${t.url}/healthz`);
          return false;
        } catch {
          return true;
        }
      },
      { description: "new connections refused" },
    );
    expect(closed).toBe(false);
    sendRest?.();
    const res = await inFlight;
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: ["in-flight-1"], duplicates: [] });
    await closing;
    await t.redis.destroy();
  });
});

describe("shutdown behind a load balancer", () => {
  it("turns /readyz to 503 first, keeps serving for http.shutdownDelay, then drains and stops", async () => {
    const t = await startTestGateway({ workers: false, config: { http: { shutdownDelay: 3000 } } });
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    let closed = false;
    const closing = t.running.close().then(() => {
      closed = true;
    });
    // At once: the balancer's probe fails, and the response closes its connection.
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "shutting_down" });
    expect(ready.headers.get("connection")).toBe("close");
    // Traffic already on its way is still served while the balancer catches up.
    const sent = await t.call("POST", "/v1/signals", {
      key: testKeys.platform,
      body: { ...signalExamples["worker.onboarded"], id: "during-drain-1" },
    });
    expect(sent.status).toBe(202);
    expect(closed).toBe(false);
    // After the delay the listener closes.
    await closing;
    await expect(fetch(`${t.url}/healthz`)).rejects.toThrow();
    await t.redis.destroy();
  });
});
