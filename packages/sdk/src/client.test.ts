import { signalSchema, signalTypes, validationErrors } from "@gigbridge/schemas";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { GigBridge, type GigBridgeOptions, type SignalRequest } from "./client.js";
import {
  AuthenticationError,
  ClientClosedError,
  ConflictError,
  ConnectionError,
  GigBridgeError,
  IllegalTransitionError,
  InvalidRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PermissionError,
  QueueFullError,
  RateLimitError,
  ServerError,
  TimeoutError,
  ValidationError,
} from "./errors.js";
import { namespaceOf } from "./resources.js";
import {
  accept,
  baseUrl,
  batchUrl,
  exampleSignal,
  gatewayRoute,
  kindFor,
  problem,
  signalsOf,
  singleUrl,
  until,
} from "./testing/gateway-mock.js";
import type { RetryEvent } from "./transport.js";
import { VERSION } from "./version.js";

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterAll(() => server.close());

const clients: GigBridge[] = [];
function client(options: Partial<GigBridgeOptions> = {}): GigBridge {
  // random 0.5: every backoff is half its ceiling, so delays are exact in assertions.
  const c = new GigBridge({ apiKey: "gb_test_key", baseUrl, random: () => 0.5, ...options });
  clients.push(c);
  return c;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(async () => {
  for (const c of clients.splice(0)) {
    const closed = c.close({ timeoutMs: 10 });
    await vi.advanceTimersByTimeAsync(10);
    await closed;
  }
  server.resetHandlers();
  vi.useRealTimers();
});

/** Records the outcome of a promise without awaiting it, so fake time can move first. */
function observe<T>(promise: Promise<T>) {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

describe("send", () => {
  it("posts one envelope with the auth and client headers and resolves when accepted", async () => {
    const route = gatewayRoute(singleUrl);
    server.use(route.handler);
    const result = await client().send({
      type: "worker.offboarded",
      data: { workerId: "w_1", reason: "resigned" },
    });

    expect(result.status).toBe("accepted");
    expect(route.requests).toHaveLength(1);
    const [request] = route.requests;
    expect(request!.headers.get("authorization")).toBe("Bearer gb_test_key");
    expect(request!.headers.get("content-type")).toBe("application/json");
    expect(request!.headers.get("user-agent")).toBe(`gigbridge-node/${VERSION}`);
    expect(request!.headers.get("idempotency-key")).toBeNull();
    const body = request!.body as Record<string, unknown>;
    expect(body.id).toBe(result.id);
    expect(body.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(body.occurredAt as string).getTime()).toBe(Date.now());
    expect(body).toMatchObject({ type: "worker.offboarded", data: { workerId: "w_1", reason: "resigned" } });
  });

  it("keeps a caller's id and occurredAt, and reports a duplicate as success", async () => {
    server.use(gatewayRoute(singleUrl, (r) => accept(signalsOf(r), ["order-1"])).handler);
    const result = await client().send({
      id: "order-1",
      occurredAt: "2024-06-01T09:30:00+08:00",
      type: "worker.offboarded",
      data: { workerId: "w_1", reason: "resigned" },
    });
    expect(result).toEqual({ id: "order-1", status: "duplicate" });
  });

  it("has one typed method per signal type, derived from the schemas", async () => {
    const route = gatewayRoute(singleUrl);
    server.use(route.handler);
    const c = client();
    for (const type of signalTypes) {
      const [prefix, action] = type.split(".") as [keyof typeof namespaceOf, string];
      const resource = (c as unknown as Record<string, Record<string, (data: unknown) => Promise<unknown>>>)[
        namespaceOf[prefix]
      ];
      await resource![action]!(exampleSignal(type).data);
    }
    expect(route.requests.map((r) => (r.body as { type: string }).type)).toEqual([...signalTypes]);
    // and the named ones from the issue exist with the names users will type
    await c.workers.onboarded(exampleSignal("worker.onboarded").data as never, { id: "sig_named" });
    await c.membership.declared(exampleSignal("membership.declared").data as never);
    expect((route.requests.at(-2)!.body as { id: string }).id).toBe("sig_named");
  });

  it("rejects a bad signal before sending, with the pointers the gateway would report", async () => {
    const route = gatewayRoute(singleUrl);
    server.use(route.handler);
    const bad = {
      id: "sig_bad",
      type: "worker.onboarded",
      occurredAt: "2024-06-01T09:30:00+08:00",
      data: { ...exampleSignal("worker.onboarded").data, regionCode: "99" },
    } as SignalRequest;

    const error = await client()
      .send(bad)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    const expected = validationErrors(signalSchema.safeParse(bad).error!);
    expect((error as ValidationError).errors).toEqual(expected);
    expect((error as ValidationError).errors.map((e) => e.pointer)).toEqual(["/data/regionCode"]);
    expect(route.requests).toHaveLength(0);
  });

  it("rejects an unknown signal type at /type", async () => {
    const error = await client()
      .send({ type: "worker.promoted", data: {} } as unknown as SignalRequest)
      .catch((e: unknown) => e);
    expect((error as ValidationError).errors.map((e) => e.pointer)).toContain("/type");
  });
});

describe("retries", () => {
  it("retries 5xx with exponential backoff and full jitter, reusing the signal id", async () => {
    const route = gatewayRoute(singleUrl, (r, i) => (i < 3 ? problem(503) : accept(signalsOf(r))));
    server.use(route.handler);
    const c = client();
    const retries: RetryEvent[] = [];
    c.on("retry", (event) => retries.push(event));
    const outcome = observe(c.send(exampleSignal()));

    await until(() => route.requests.length === 1);
    // random 0.5 of ceilings 200, 400, 800
    await vi.advanceTimersByTimeAsync(99);
    expect(route.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => route.requests.length === 2);
    await vi.advanceTimersByTimeAsync(199);
    expect(route.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => route.requests.length === 3);
    await vi.advanceTimersByTimeAsync(400);
    await until(() => outcome.settled);

    expect(outcome.value?.status).toBe("accepted");
    expect(route.requests).toHaveLength(4);
    expect(new Set(route.requests.map((r) => (r.body as { id: string }).id)).size).toBe(1);
    expect(retries.map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 100],
      [2, 200],
      [3, 400],
    ]);
    expect(retries[0]!.error).toBeInstanceOf(ServerError);
  });

  it("caps the backoff at maxDelayMs", async () => {
    server.use(gatewayRoute(singleUrl, () => problem(500)).handler);
    const c = client({ random: () => 0.999, retry: { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 500 } });
    const delays: number[] = [];
    c.on("retry", (event) => delays.push(event.delayMs));
    const outcome = observe(c.send(exampleSignal()));
    await vi.advanceTimersByTimeAsync(5_000);
    await until(() => outcome.settled);
    expect(delays).toEqual([199, 399, 499, 499]);
    expect(outcome.error).toBeInstanceOf(ServerError);
  });

  it("honours Retry-After in seconds as the minimum delay on 429", async () => {
    const route = gatewayRoute(singleUrl, (r, i) =>
      i === 0
        ? problem(429, {}, { "retry-after": "3", ratelimit: "limit=100, remaining=0, reset=3" })
        : accept(signalsOf(r)),
    );
    server.use(route.handler);
    const c = client();
    const retries: RetryEvent[] = [];
    c.on("retry", (event) => retries.push(event));
    const outcome = observe(c.send(exampleSignal()));

    await until(() => route.requests.length === 1);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(route.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => outcome.settled);
    expect(outcome.value?.status).toBe("accepted");
    expect(retries[0]!.delayMs).toBe(3_000);
    expect(retries[0]!.error).toBeInstanceOf(RateLimitError);
    expect((retries[0]!.error as RateLimitError).retryAfterMs).toBe(3_000);
  });

  it("honours Retry-After as an HTTP date on 503", async () => {
    const now = Date.parse("2024-06-01T00:00:00Z");
    vi.setSystemTime(now);
    const route = gatewayRoute(singleUrl, (r, i) =>
      i === 0
        ? problem(503, {}, { "retry-after": new Date(now + 5_000).toUTCString() })
        : accept(signalsOf(r)),
    );
    server.use(route.handler);
    const c = client();
    const delays: number[] = [];
    c.on("retry", (event) => delays.push(event.delayMs));
    const outcome = observe(c.send(exampleSignal()));
    await until(() => route.requests.length === 1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(route.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => outcome.settled);
    expect(delays).toEqual([5_000]);
  });

  it("retries network errors and 408, then gives up after maxAttempts with the last error", async () => {
    const route = gatewayRoute(singleUrl, (_r, i) => (i === 0 ? problem(408) : HttpResponse.error()));
    server.use(route.handler);
    const outcome = observe(client({ retry: { maxAttempts: 3 } }).send(exampleSignal()));
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => outcome.settled);
    expect(route.requests).toHaveLength(3);
    expect(outcome.error).toBeInstanceOf(ConnectionError);
  });

  it("times a request out after timeoutMs and retries it", async () => {
    const route = gatewayRoute(singleUrl, (r, i) =>
      i === 0 ? new Promise<Response>(() => {}) : accept(signalsOf(r)),
    );
    server.use(route.handler);
    const c = client({ timeoutMs: 2_000 });
    const retries: RetryEvent[] = [];
    c.on("retry", (event) => retries.push(event));
    const outcome = observe(c.send(exampleSignal()));
    await until(() => route.requests.length === 1);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(retries).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => retries.length === 1);
    expect(retries[0]!.error).toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(100);
    await until(() => outcome.settled);
    expect(outcome.value?.status).toBe("accepted");
  });

  it("rejects with TimeoutError when every attempt times out", async () => {
    server.use(gatewayRoute(singleUrl, () => new Promise<Response>(() => {})).handler);
    const outcome = observe(client({ timeoutMs: 1_000, retry: { maxAttempts: 1 } }).send(exampleSignal()));
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => outcome.settled);
    expect(outcome.error).toBeInstanceOf(TimeoutError);
  });
});

describe("errors", () => {
  const cases = [
    [400, ValidationError],
    [422, ValidationError],
    [401, AuthenticationError],
    [403, PermissionError],
    [404, NotFoundError],
    [409, ConflictError],
    [413, PayloadTooLargeError],
    [415, InvalidRequestError],
  ] as const;

  it.each(cases)("HTTP %i is final and becomes %o with the problem and request id", async (status, Class) => {
    const route = gatewayRoute(singleUrl, () =>
      problem(
        status,
        status === 422 ? { errors: [{ pointer: "/data/reason", detail: "must be one of" }] } : {},
      ),
    );
    server.use(route.handler);
    const error = await client()
      .send(exampleSignal())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Class);
    expect(error).toBeInstanceOf(GigBridgeError);
    expect(route.requests).toHaveLength(1);
    const e = error as GigBridgeError;
    expect(e.status).toBe(status);
    expect(e.requestId).toBe(`req_${status}`);
    expect(e.problem?.type).toBe(`/problems/${kindFor(status)}`);
    expect(e.kind).toBe(kindFor(status));
    expect(e.message).toContain(`HTTP ${status}`);
    if (status === 422)
      expect((e as ValidationError).errors).toEqual([{ pointer: "/data/reason", detail: "must be one of" }]);
  });

  it.each([
    ["conflict", 409, ConflictError],
    ["illegal_transition", 409, IllegalTransitionError],
    ["payload_too_large", 413, PayloadTooLargeError],
    ["unsupported_media_type", 415, InvalidRequestError],
  ] as const)(
    "tells kinds that share a status apart: %s (HTTP %i) becomes %o",
    async (kind, status, Class) => {
      const route = gatewayRoute(singleUrl, () => problem(status, { type: `/problems/${kind}` }));
      server.use(route.handler);
      const error = (await client()
        .send(exampleSignal())
        .catch((e: unknown) => e)) as GigBridgeError;
      expect(error).toBeInstanceOf(Class);
      expect(error.constructor).toBe(Class);
      expect(error.kind).toBe(kind);
    },
  );

  it("falls back to the status for a problem kind this version does not know, keeping the body", async () => {
    const route = gatewayRoute(singleUrl, () => problem(409, { type: "/problems/some_future_kind" }));
    server.use(route.handler);
    const error = (await client()
      .send(exampleSignal())
      .catch((e: unknown) => e)) as GigBridgeError;
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.kind).toBeUndefined();
    expect(error.problem?.type).toBe("/problems/some_future_kind");
  });

  it.each([
    [429, RateLimitError],
    [500, ServerError],
    [503, ServerError],
    [408, TimeoutError],
  ] as const)("HTTP %i is retried and, once attempts run out, becomes %o", async (status, Class) => {
    const route = gatewayRoute(singleUrl, () => problem(status));
    server.use(route.handler);
    const outcome = observe(client({ retry: { maxAttempts: 2 } }).send(exampleSignal()));
    await vi.advanceTimersByTimeAsync(1_000);
    await until(() => outcome.settled);
    expect(route.requests).toHaveLength(2);
    expect(outcome.error).toBeInstanceOf(Class);
    expect((outcome.error as GigBridgeError).requestId).toBe(`req_${status}`);
  });

  it("takes the request id from the body when the header is missing, and survives a non-JSON body", async () => {
    server.use(
      http.post(singleUrl, () => new HttpResponse("<html>bad gateway</html>", { status: 502 })),
      http.get(`${baseUrl}/v1/signals/:id`, () =>
        HttpResponse.json(
          { type: "t", title: "Not found", status: 404, detail: "d", requestId: "req_b" },
          { status: 404 },
        ),
      ),
    );
    const c = client({ retry: { maxAttempts: 1 } });
    const e1 = await c.send(exampleSignal()).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ServerError);
    expect((e1 as ServerError).problem).toBeUndefined();
    const e2 = await c.signals.get("nope").catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(NotFoundError);
    expect((e2 as NotFoundError).requestId).toBe("req_b");
  });
});

describe("signals.get", () => {
  it("returns the gateway's status of one signal", async () => {
    const status = {
      id: "sig 1",
      type: "worker.offboarded",
      status: "processed",
      receivedAt: "2024-06-01T00:00:00Z",
      tasks: ["t1"],
    };
    let path = "";
    server.use(
      http.get(`${baseUrl}/v1/signals/:id`, ({ request }) => {
        path = new URL(request.url).pathname;
        return HttpResponse.json(status);
      }),
    );
    expect(await client().signals.get("sig 1")).toEqual(status);
    expect(path).toBe("/v1/signals/sig%201");
  });
});

describe("enqueue", () => {
  it("sends a batch when flushAt signals are queued and settles each signal with its own outcome", async () => {
    const signals = [exampleSignal(), exampleSignal(), exampleSignal()];
    const route = gatewayRoute(batchUrl, (r) => accept(signalsOf(r), [signals[1]!.id!]));
    server.use(route.handler);
    const c = client({ flushAt: 3 });
    const flushes: unknown[] = [];
    c.on("flush", (event) => flushes.push(event));

    const outcomes = signals.map((s) => c.enqueue(s));
    expect(await Promise.all(outcomes)).toEqual([
      { id: signals[0]!.id, status: "accepted" },
      { id: signals[1]!.id, status: "duplicate" },
      { id: signals[2]!.id, status: "accepted" },
    ]);
    expect(route.requests).toHaveLength(1);
    expect(signalsOf(route.requests[0]!).map((s) => s.id)).toEqual(signals.map((s) => s.id));
    expect(flushes).toEqual([{ count: 3, accepted: 2, duplicates: 1, failed: 0 }]);
  });

  it("accepts {type, data} and fills in id and occurredAt", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client({ flushAt: 1 });
    const result = await c.enqueue({ type: "worker.offboarded", data: { workerId: "w_9", reason: "other" } });
    expect(signalsOf(route.requests[0]!)[0]).toMatchObject({ id: result.id, type: "worker.offboarded" });
  });

  it("sends a partial batch after flushIntervalMs", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client({ flushIntervalMs: 1_000 });
    const outcome = observe(c.enqueue(exampleSignal()));
    await vi.advanceTimersByTimeAsync(999);
    expect(route.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => outcome.settled);
    expect(route.requests).toHaveLength(1);
  });

  it("splits a flush into batches of at most maxBatchSize", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client({ maxBatchSize: 2 });
    const outcomes = Array.from({ length: 5 }, () => c.enqueue(exampleSignal()));
    await c.flush();
    expect(route.requests.map((r) => signalsOf(r).length)).toEqual([2, 2, 1]);
    expect((await Promise.all(outcomes)).every((o) => o.status === "accepted")).toBe(true);
  });

  it("rejects with QueueFullError when the queue is full, and keeps what is queued", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client({ maxQueueSize: 2 });
    const kept = [c.enqueue(exampleSignal()), c.enqueue(exampleSignal())];
    await expect(c.enqueue(exampleSignal())).rejects.toBeInstanceOf(QueueFullError);
    await c.flush();
    expect(await Promise.all(kept)).toHaveLength(2);
    expect(signalsOf(route.requests[0]!)).toHaveLength(2);
  });

  it("with onQueueFull drop-oldest, rejects the oldest and emits drop instead of dropping silently", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client({ maxQueueSize: 2, onQueueFull: "drop-oldest" });
    const drops: unknown[] = [];
    c.on("drop", (event) => drops.push(event));
    const first = exampleSignal();
    const oldest = c.enqueue(first);
    const rest = [c.enqueue(exampleSignal()), c.enqueue(exampleSignal())];
    await expect(oldest).rejects.toBeInstanceOf(QueueFullError);
    expect(drops).toEqual([{ id: first.id, type: first.type, reason: "queue_full" }]);
    await c.flush();
    expect(await Promise.all(rest)).toHaveLength(2);
    expect(signalsOf(route.requests[0]!).map((s) => s.id)).not.toContain(first.id);
  });

  it("splits a batch in halves on 413 until it fits", async () => {
    const route = gatewayRoute(batchUrl, (r) =>
      signalsOf(r).length > 2 ? problem(413) : accept(signalsOf(r)),
    );
    server.use(route.handler);
    const c = client();
    const outcomes = Array.from({ length: 5 }, () => c.enqueue(exampleSignal()));
    await c.flush();
    expect((await Promise.all(outcomes)).map((o) => o.status)).toEqual(Array(5).fill("accepted"));
    expect(route.requests.map((r) => signalsOf(r).length)).toEqual([5, 3, 2, 1, 2]);
  });

  it("fails a single signal that is still too large with PayloadTooLargeError", async () => {
    server.use(gatewayRoute(batchUrl, () => problem(413)).handler);
    const c = client();
    const outcome = c.enqueue(exampleSignal());
    await c.flush();
    await expect(outcome).rejects.toBeInstanceOf(PayloadTooLargeError);
  });

  it("on a batch validation refusal, rejects only the named signals and re-sends the others", async () => {
    const route = gatewayRoute(batchUrl, (r, i) =>
      i === 0
        ? problem(422, {
            errors: [
              { pointer: "/signals/1/data/regionCode", detail: "must be a GB/T 2260 code" },
              { pointer: "/signals/3/data/reason", detail: "must be one of" },
            ],
          })
        : accept(signalsOf(r)),
    );
    server.use(route.handler);
    const c = client();
    const errors: unknown[] = [];
    c.on("error", (e) => errors.push(e));
    const signals = Array.from({ length: 4 }, () => exampleSignal());
    const outcomes = signals.map((s) => observe(c.enqueue(s)));
    await c.flush();

    expect(outcomes[0]!.value?.status).toBe("accepted");
    expect(outcomes[2]!.value?.status).toBe("accepted");
    expect(outcomes[1]!.error).toBeInstanceOf(ValidationError);
    expect((outcomes[1]!.error as ValidationError).errors).toEqual([
      { pointer: "/data/regionCode", detail: "must be a GB/T 2260 code" },
    ]);
    expect((outcomes[3]!.error as ValidationError).errors.map((e) => e.pointer)).toEqual(["/data/reason"]);
    expect((outcomes[3]!.error as ValidationError).requestId).toBe("req_422");
    expect(signalsOf(route.requests[1]!).map((s) => s.id)).toEqual([signals[0]!.id, signals[2]!.id]);
    expect(errors).toHaveLength(2);
  });

  it("rejects every signal and emits error on a final failure such as 401", async () => {
    server.use(gatewayRoute(batchUrl, () => problem(401)).handler);
    const c = client();
    const errors: unknown[] = [];
    c.on("error", (e) => errors.push(e));
    const outcomes = [observe(c.enqueue(exampleSignal())), observe(c.enqueue(exampleSignal()))];
    await c.flush();
    expect(outcomes.every((o) => o.error instanceof AuthenticationError)).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it("retries a batch on 429 honouring Retry-After", async () => {
    const route = gatewayRoute(batchUrl, (r, i) =>
      i === 0 ? problem(429, {}, { "retry-after": "2" }) : accept(signalsOf(r)),
    );
    server.use(route.handler);
    const c = client({ flushAt: 1 });
    const outcome = observe(c.enqueue(exampleSignal()));
    await until(() => route.requests.length === 1);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(route.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => outcome.settled);
    expect(outcome.value?.status).toBe("accepted");
  });

  it("rejects a signal the gateway's response does not mention", async () => {
    server.use(
      gatewayRoute(batchUrl, () => HttpResponse.json({ accepted: [], duplicates: [] }, { status: 202 }))
        .handler,
    );
    const c = client();
    const outcome = observe(c.enqueue(exampleSignal()));
    await c.flush();
    expect(outcome.error).toBeInstanceOf(GigBridgeError);
  });

  it("keeps one batch in flight at a time by default", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const route = gatewayRoute(batchUrl, async (r, i) => {
      if (i === 0) await gate;
      return accept(signalsOf(r));
    });
    server.use(route.handler);
    const c = client({ flushAt: 1 });
    const outcomes = [observe(c.enqueue(exampleSignal())), observe(c.enqueue(exampleSignal()))];
    await until(() => route.requests.length === 1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(route.requests).toHaveLength(1);
    release();
    await until(() => outcomes.every((o) => o.settled));
    expect(route.requests).toHaveLength(2);
  });
});

describe("close", () => {
  it("flushes what is queued, stops the timer, and refuses new signals", async () => {
    const route = gatewayRoute(batchUrl);
    server.use(route.handler);
    const c = client();
    const outcomes = [c.enqueue(exampleSignal()), c.enqueue(exampleSignal())];
    expect(vi.getTimerCount()).toBe(1);
    await c.close();
    expect(route.requests).toHaveLength(1);
    expect((await Promise.all(outcomes)).map((o) => o.status)).toEqual(["accepted", "accepted"]);
    expect(vi.getTimerCount()).toBe(0);
    await expect(c.enqueue(exampleSignal())).rejects.toBeInstanceOf(ClientClosedError);
    await expect(c.send(exampleSignal())).rejects.toBeInstanceOf(ClientClosedError);
  });

  it("waits for a send in flight", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    server.use(
      gatewayRoute(singleUrl, async (r) => {
        await gate;
        return accept(signalsOf(r));
      }).handler,
    );
    const c = client();
    const sent = observe(c.send(exampleSignal()));
    const closed = observe(c.close());
    await vi.advanceTimersByTimeAsync(100);
    expect(closed.settled).toBe(false);
    release();
    await until(() => closed.settled);
    expect(sent.value?.status).toBe("accepted");
  });

  it("gives up after timeoutMs, rejecting what is left with ClientClosedError", async () => {
    const route = gatewayRoute(batchUrl, () => new Promise<Response>(() => {}));
    server.use(route.handler);
    const c = client({ maxBatchSize: 1, timeoutMs: 60_000 });
    const outcomes = [observe(c.enqueue(exampleSignal())), observe(c.enqueue(exampleSignal()))];
    const closed = observe(c.close({ timeoutMs: 500 }));
    await until(() => route.requests.length === 1);
    await vi.advanceTimersByTimeAsync(499);
    expect(closed.settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await until(() => closed.settled);
    expect(outcomes.map((o) => o.error)).toEqual([
      expect.any(ClientClosedError),
      expect.any(ClientClosedError),
    ]);
  });
});

describe("workers.erase and erasures.get", () => {
  const erasure = {
    id: "era_Yk3v0fJ2qS8mW1dXb7Lr4a",
    status: "queued",
    requestedAt: "2024-06-07T01:00:00.000Z",
  };

  it("asks the gateway to erase a worker and follows the erasure", async () => {
    const seen: string[] = [];
    server.use(
      http.delete(`${baseUrl}/v1/workers/:workerId`, ({ request }) => {
        seen.push(
          `${request.method} ${new URL(request.url).pathname} ${request.headers.get("authorization")}`,
        );
        return HttpResponse.json(erasure, { status: 202 });
      }),
      http.get(`${baseUrl}/v1/erasures/:id`, ({ params }) =>
        HttpResponse.json({
          ...erasure,
          id: params.id,
          status: "completed",
          completedAt: "2024-06-07T01:00:01.000Z",
        }),
      ),
    );
    const c = client();
    expect(await c.workers.erase("w_100:7")).toEqual(erasure);
    expect(seen).toEqual(["DELETE /v1/workers/w_100%3A7 Bearer gb_test_key"]);
    expect(await c.erasures.get(erasure.id)).toMatchObject({ id: erasure.id, status: "completed" });
    // The signal methods of the namespace are still there beside it.
    expect(typeof c.workers.onboarded).toBe("function");
  });

  it("refuses an invalid worker id locally, and reports an unknown erasure as NotFoundError", async () => {
    server.use(
      http.get(`${baseUrl}/v1/erasures/:id`, () =>
        HttpResponse.json(
          {
            type: "https://gigbridge.dev/problems/not-found",
            title: "Not found",
            status: 404,
            detail: "No erasure",
          },
          { status: 404, headers: { "content-type": "application/problem+json" } },
        ),
      ),
    );
    const c = client();
    const invalid = await c.workers.erase("has space").catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).errors[0]?.pointer).toBe("/workerId");
    expect(await c.erasures.get("era_unknown_000000000000").catch((e: unknown) => e)).toBeInstanceOf(
      NotFoundError,
    );
  });

  it("retries a 503 on erase, which is idempotent", async () => {
    let calls = 0;
    server.use(
      http.delete(`${baseUrl}/v1/workers/:workerId`, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json(
              { type: "https://gigbridge.dev/problems/unavailable", title: "Unavailable", status: 503 },
              { status: 503, headers: { "content-type": "application/problem+json", "retry-after": "1" } },
            )
          : HttpResponse.json(erasure, { status: 202 });
      }),
    );
    const done = client().workers.erase("w_1");
    await vi.advanceTimersByTimeAsync(1000);
    expect(await done).toEqual(erasure);
    expect(calls).toBe(2);
  });
});

describe("tasks.list", () => {
  it("iterates every task of the org page by page, following nextCursor, with the filters on each page", async () => {
    const task = (n: number) => ({ id: `tsk_${n}`, kind: "follow_up_appeal", status: "open" });
    const seen: URL[] = [];
    server.use(
      http.get(`${baseUrl}/v1/tasks`, ({ request }) => {
        const url = new URL(request.url);
        seen.push(url);
        const cursor = url.searchParams.get("cursor");
        if (cursor === null) return HttpResponse.json({ items: [task(1), task(2)], nextCursor: "c1" });
        if (cursor === "c1") return HttpResponse.json({ items: [task(3)], nextCursor: "c2" });
        return HttpResponse.json({ items: [], nextCursor: null });
      }),
    );
    const ids: string[] = [];
    for await (const t of client().tasks.list({ status: "open", pageSize: 2 })) ids.push(t.id);
    expect(ids).toEqual(["tsk_1", "tsk_2", "tsk_3"]);
    expect(seen.map((u) => u.searchParams.get("cursor"))).toEqual([null, "c1", "c2"]);
    for (const url of seen) {
      expect(url.searchParams.get("status")).toBe("open");
      expect(url.searchParams.get("limit")).toBe("2");
    }
  });

  it("asks for the next page only when the loop gets there", async () => {
    let requests = 0;
    server.use(
      http.get(`${baseUrl}/v1/tasks`, () => {
        requests += 1;
        return HttpResponse.json({ items: [{ id: `tsk_${requests}` }], nextCursor: `c${requests}` });
      }),
    );
    for await (const t of client().tasks.list()) {
      expect(t.id).toBe("tsk_1");
      break;
    }
    expect(requests).toBe(1);
  });
});
