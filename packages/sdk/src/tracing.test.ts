import { AsyncLocalStorage } from "node:async_hooks";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import {
  type Context,
  type ContextManager,
  context,
  createTraceState,
  ROOT_CONTEXT,
  trace,
} from "@opentelemetry/api";
import { setupServer } from "msw/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GigBridge } from "./client.js";
import {
  accept,
  baseUrl,
  exampleSignal,
  gatewayRoute,
  problem,
  signalsOf,
  singleUrl,
} from "./testing/gateway-mock.js";

/** The smallest context manager: what an application's OpenTelemetry SDK registers. */
class LocalContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const server = setupServer();
beforeAll(() => {
  server.listen({ onUnhandledRequest: "error" });
  context.setGlobalContextManager(new LocalContextManager());
});
afterAll(() => {
  server.close();
  context.disable();
});

const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
const spanId = "00f067aa0ba902b7";
/** Runs `fn` with the caller's span active, as a platform's instrumented code would. */
const inCallerSpan = <T>(fn: () => Promise<T>) =>
  context.with(
    trace.setSpan(
      ROOT_CONTEXT,
      trace.wrapSpanContext({ traceId, spanId, traceFlags: 1, traceState: createTraceState("platform=7") }),
    ),
    fn,
  );

describe("trace context", () => {
  it("sends traceparent and tracestate of the caller's span, on every attempt", async () => {
    const route = gatewayRoute(singleUrl, (request, i) =>
      i === 0 ? problem(503, { title: "Unavailable" }) : accept(signalsOf(request)),
    );
    server.use(route.handler);
    const client = new GigBridge({ apiKey: "gb_pk_x", baseUrl, retry: { baseDelayMs: 1, maxDelayMs: 1 } });
    await inCallerSpan(() => client.send(exampleSignal()));
    await client.close();
    expect(route.requests).toHaveLength(2);
    for (const request of route.requests) {
      // No SDK records here, so the request continues the caller's span itself.
      expect(request.headers.get("traceparent")).toBe(`00-${traceId}-${spanId}-01`);
      expect(request.headers.get("tracestate")).toBe("platform=7");
    }
  });

  it("sends no trace headers when the caller has no span", async () => {
    const route = gatewayRoute(singleUrl);
    server.use(route.handler);
    const client = new GigBridge({ apiKey: "gb_pk_x", baseUrl });
    await client.send(exampleSignal());
    await client.close();
    expect(route.requests[0]?.headers.get("traceparent")).toBeNull();
    expect(route.requests[0]?.headers.get("tracestate")).toBeNull();
  });

  it("works when @opentelemetry/api is not installed", () => {
    // A child process where resolving @opentelemetry/api fails, as in an application without it.
    const hide = `data:text/javascript,${encodeURIComponent(`
      import { register } from "node:module";
      register("data:text/javascript," + encodeURIComponent(
        "export async function resolve(specifier, context, next) {" +
        "  if (specifier === '@opentelemetry/api') throw Object.assign(new Error('not installed'), { code: 'ERR_MODULE_NOT_FOUND' });" +
        "  return next(specifier, context);" +
        "}"));
    `)}`;
    const child = `
      const missing = await import("@opentelemetry/api").then(() => false, () => true);
      const { GigBridge } = await import(${JSON.stringify(resolve(import.meta.dirname, "client.ts"))});
      const { exampleSignal } = await import(${JSON.stringify(resolve(import.meta.dirname, "testing/gateway-mock.ts"))});
      let headers;
      const client = new GigBridge({
        apiKey: "gb_pk_x",
        baseUrl: "https://gateway.test",
        fetch: async (_url, init) => {
          headers = init.headers;
          const signal = JSON.parse(init.body);
          return new Response(JSON.stringify({ accepted: [signal.id], duplicates: [] }), { status: 202 });
        },
      });
      const result = await client.send(exampleSignal());
      await client.close();
      console.log(JSON.stringify({ missing, status: result.status, traceparent: headers.traceparent ?? null }));
    `;
    const run = spawnSync(
      process.execPath,
      ["--import", "tsx", "--import", hide, "--input-type=module", "-e", child],
      { encoding: "utf8", cwd: resolve(import.meta.dirname, "..") },
    );
    expect(run.stderr).toBe("");
    expect(JSON.parse(run.stdout.trim())).toEqual({ missing: true, status: "accepted", traceparent: null });
  });
});
