import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { GigBridge } from "./client.js";

const server = setupServer(
  http.get("https://gateway.test/v1/signals/:id", ({ params }) =>
    HttpResponse.json({
      id: params.id,
      type: "worker.offboarded",
      status: "queued",
      receivedAt: "2026-11-29T00:00:00.000Z",
      tasks: [],
    }),
  ),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

describe("requests over a client's lifetime", () => {
  it("leave no abort listener behind on the client's long-lived signal", async () => {
    const client = new GigBridge({ apiKey: "gb_pk_test", baseUrl: "https://gateway.test" });
    const shutdown = (client as unknown as { shutdown: AbortController }).shutdown.signal;
    const added = new Set<unknown>();
    const add = shutdown.addEventListener.bind(shutdown);
    const remove = shutdown.removeEventListener.bind(shutdown);
    shutdown.addEventListener = ((type: string, listener: unknown, options?: unknown) => {
      added.add(listener);
      add(type as "abort", listener as () => void, options as { once?: boolean });
    }) as typeof shutdown.addEventListener;
    shutdown.removeEventListener = ((type: string, listener: unknown) => {
      added.delete(listener);
      remove(type as "abort", listener as () => void);
    }) as typeof shutdown.removeEventListener;
    // On Node 20, AbortSignal.any() keeps each combined signal reachable from its long-lived source.
    const any = vi.spyOn(AbortSignal, "any");
    for (let i = 0; i < 20; i++) await client.signals.get(`sig-${i}`);
    expect(any).not.toHaveBeenCalled();
    expect(added.size).toBe(0);
    any.mockRestore();
    await client.close();
  });
});
