import { problemKindOf, problemSchema } from "@gigbridge/schemas";
import { backoffDelay, parseRetryAfter, type RetryOptions, sleep } from "./backoff.js";
import {
  AuthenticationError,
  BatchTooLargeError,
  ConflictError,
  ConnectionError,
  GigBridgeError,
  type GigBridgeErrorOptions,
  IllegalTransitionError,
  InvalidRequestError,
  isRetryable,
  NotFoundError,
  PayloadTooLargeError,
  PermissionError,
  type Problem,
  RateLimitError,
  retryAfterOf,
  ServerError,
  TimeoutError,
  ValidationError,
} from "./errors.js";
import { VERSION } from "./version.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RetryEvent {
  /** The attempt that just failed, counting from 1. */
  attempt: number;
  /** How long the SDK waits before the next attempt. */
  delayMs: number;
  error: GigBridgeError;
}

export interface TransportOptions {
  apiKey: string;
  baseUrl: string;
  fetch: FetchLike;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  random: () => number;
  now: () => number;
  onRetry: (event: RetryEvent) => void;
}

/**
 * Talks HTTP to the gateway: adds headers, applies the per-request timeout, turns error
 * responses into typed errors, and retries what can be retried. Knows nothing of batching.
 */
export class Transport {
  private readonly base: string;

  constructor(private readonly options: TransportOptions) {
    this.base = options.baseUrl.replace(/\/+$/, "");
  }

  /**
   * One request with retries: network errors, timeouts, 408, 429 and 5xx are tried again
   * after a backoff (at least the gateway's `Retry-After`), up to `retry.maxAttempts` in all.
   * The body is serialised once, so every attempt sends the same signal ids.
   */
  async request<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body: unknown,
    signal: AbortSignal,
  ): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const traced = await startClientSpan(method, path);
    if (!traced) return this.attempts<T>(method, path, payload, signal, undefined);
    try {
      return await this.attempts<T>(method, path, payload, signal, traced.headers);
    } catch (error) {
      traced.fail(error);
      throw error;
    } finally {
      traced.end();
    }
  }

  private async attempts<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    payload: string | undefined,
    signal: AbortSignal,
    trace: Record<string, string> | undefined,
  ): Promise<T> {
    const { retry } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, payload, signal, trace);
      } catch (error) {
        if (!(error instanceof GigBridgeError) || !isRetryable(error) || attempt >= retry.maxAttempts) {
          throw error;
        }
        if (signal.aborted) throw error;
        const delayMs = Math.max(backoffDelay(attempt, retry, this.options.random), retryAfterOf(error) ?? 0);
        this.options.onRetry({ attempt, delayMs, error });
        await sleep(delayMs, signal);
      }
    }
  }

  private async once<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    payload: string | undefined,
    outer: AbortSignal,
    trace: Record<string, string> | undefined,
  ): Promise<T> {
    const timeout = new AbortController();
    // A timer of our own rather than AbortSignal.timeout(): it behaves the same and
    // follows fake timers in tests.
    const timer = setTimeout(() => timeout.abort(), this.options.timeoutMs);
    // One controller per request, linked to the client's long-lived signal by a listener that is
    // removed afterwards. (AbortSignal.any() would keep every request's signal reachable from the
    // long-lived one on Node 20, a leak of one entry per request.)
    const request = new AbortController();
    const abort = () => request.abort();
    if (outer.aborted) request.abort();
    outer.addEventListener("abort", abort, { once: true });
    timeout.signal.addEventListener("abort", abort, { once: true });
    const signal = request.signal;
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.apiKey}`,
      accept: "application/json, application/problem+json",
      "user-agent": `gigbridge-node/${VERSION}`,
    };
    if (payload !== undefined) headers["content-type"] = "application/json";
    if (trace) Object.assign(headers, trace);
    try {
      let response: Response;
      try {
        response = await this.options.fetch(`${this.base}${path}`, {
          method,
          headers,
          body: payload,
          signal,
        });
      } catch (cause) {
        throw this.networkError(cause, timeout.signal, outer, method, path);
      }
      let text: string;
      try {
        text = await response.text();
      } catch (cause) {
        throw this.networkError(cause, timeout.signal, outer, method, path);
      }
      const parsed = parseJson(text);
      if (response.ok) return parsed as T;
      throw errorFromResponse(response, parsed, this.options.now());
    } finally {
      clearTimeout(timer);
      outer.removeEventListener("abort", abort);
    }
  }

  private networkError(
    cause: unknown,
    timeout: AbortSignal,
    outer: AbortSignal,
    method: string,
    path: string,
  ): GigBridgeError {
    if (outer.aborted) {
      const reason = outer.reason;
      return reason instanceof GigBridgeError ? reason : new ConnectionError("request aborted", { cause });
    }
    if (timeout.aborted) {
      return new TimeoutError(`${method} ${path} got no response within ${this.options.timeoutMs} ms`, {
        cause,
      });
    }
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ConnectionError(`${method} ${path} failed: ${reason}`, { cause });
  }
}

type OtelApi = typeof import("@opentelemetry/api");

/** `@opentelemetry/api` when the application has it installed (an optional peer dependency), else null. */
let otel: OtelApi | null | undefined;
let loadingOtel: Promise<void> | undefined;

async function otelApi(): Promise<OtelApi | null> {
  if (otel === undefined) {
    loadingOtel ??= import("@opentelemetry/api").then(
      (api) => {
        otel = api;
      },
      () => {
        otel = null;
      },
    );
    await loadingOtel;
  }
  return otel ?? null;
}

/**
 * When the caller has an active OpenTelemetry span, a client span for this request (child of the
 * caller's) and the W3C `traceparent`/`tracestate` headers that carry it to the gateway. Nothing
 * without `@opentelemetry/api` installed or without an active span.
 */
async function startClientSpan(method: string, path: string) {
  const api = await otelApi();
  if (!api) return undefined;
  const active = api.context.active();
  if (!api.trace.getSpan(active)) return undefined;
  const route = path.startsWith("/v1/signals/") && method === "GET" ? "/v1/signals/{id}" : path;
  const span = api.trace
    .getTracer("@gigbridge/sdk", VERSION)
    .startSpan(`${method} ${route}`, { kind: api.SpanKind.CLIENT }, active);
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const headers: Record<string, string> = {
    traceparent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, "0")}`,
  };
  const state = traceState?.serialize();
  if (state) headers.tracestate = state;
  return {
    headers,
    fail(error: unknown) {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: String((error as Error)?.message ?? error) });
    },
    end: () => span.end(),
  };
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The problem body, read leniently: a `type` this SDK version does not know (a kind added later)
 * keeps the rest of the problem, and the error falls back to its status.
 */
function asProblem(body: unknown): Problem | undefined {
  const rest = problemSchema.omit({ type: true }).safeParse(body);
  if (!rest.success) return undefined;
  const type = (body as { type?: unknown }).type;
  return { ...rest.data, type: typeof type === "string" ? type : "about:blank" } as Problem;
}

/** Maps an error response to the error class a caller branches on. Exported for tests. */
export function errorFromResponse(response: Response, body: unknown, now: number): GigBridgeError {
  const status = response.status;
  const problem = asProblem(body);
  const requestId = response.headers.get("x-request-id") ?? problem?.requestId;
  const message = problem
    ? `${problem.title}${problem.detail ? `: ${problem.detail}` : ""} (HTTP ${status})`
    : `gateway answered HTTP ${status}`;
  const kind = problemKindOf(problem?.type);
  const options: GigBridgeErrorOptions = { status, problem, requestId, ...(kind ? { kind } : {}) };
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  // By kind first: two kinds can share a status (409 conflict or illegal_transition, 413 body or batch).
  switch (kind) {
    case "validation":
    case "malformed_json":
      return new ValidationError(message, problem?.errors ?? [], options);
    case "unauthenticated":
      return new AuthenticationError(message, options);
    case "forbidden":
      return new PermissionError(message, options);
    case "not_found":
      return new NotFoundError(message, options);
    case "conflict":
      return new ConflictError(message, options);
    case "illegal_transition":
      return new IllegalTransitionError(message, options);
    case "payload_too_large":
      return new PayloadTooLargeError(message, options);
    case "batch_too_large":
      return new BatchTooLargeError(message, options);
    case "method_not_allowed":
    case "unsupported_media_type":
      return new InvalidRequestError(message, options);
    case "rate_limited":
      return new RateLimitError(message, { ...options, retryAfterMs });
    case "internal":
    case "unavailable":
      return new ServerError(message, { ...options, retryAfterMs });
  }
  // Then by status, for a kind this version does not know or a body that is not a problem.
  if (status === 400 || status === 422) return new ValidationError(message, problem?.errors ?? [], options);
  if (status === 401) return new AuthenticationError(message, options);
  if (status === 403) return new PermissionError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (status === 408) return new TimeoutError(message, options);
  if (status === 409) return new ConflictError(message, options);
  if (status === 413) return new PayloadTooLargeError(message, options);
  if (status === 429) return new RateLimitError(message, { ...options, retryAfterMs });
  if (status >= 500) return new ServerError(message, { ...options, retryAfterMs });
  if (status >= 400) return new InvalidRequestError(message, options);
  // 1xx/3xx reaching us means a proxy or redirect the SDK does not follow.
  return new InvalidRequestError(message, options);
}
