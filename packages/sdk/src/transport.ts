import { problemSchema } from "@gigbridge/schemas";
import { backoffDelay, parseRetryAfter, type RetryOptions, sleep } from "./backoff.js";
import {
  AuthenticationError,
  ConnectionError,
  GigBridgeError,
  type GigBridgeErrorOptions,
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
    const { retry } = this.options;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, payload, signal);
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

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function asProblem(body: unknown): Problem | undefined {
  const result = problemSchema.safeParse(body);
  return result.success ? result.data : undefined;
}

/** Maps an error response to the error class a caller branches on. Exported for tests. */
export function errorFromResponse(response: Response, body: unknown, now: number): GigBridgeError {
  const status = response.status;
  const problem = asProblem(body);
  const requestId = response.headers.get("x-request-id") ?? problem?.requestId;
  const message = problem
    ? `${problem.title}${problem.detail ? `: ${problem.detail}` : ""} (HTTP ${status})`
    : `gateway answered HTTP ${status}`;
  const options: GigBridgeErrorOptions = { status, problem, requestId };
  const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), now);
  if (status === 400 || status === 422) return new ValidationError(message, problem?.errors ?? [], options);
  if (status === 401) return new AuthenticationError(message, options);
  if (status === 403) return new PermissionError(message, options);
  if (status === 404) return new NotFoundError(message, options);
  if (status === 408) return new TimeoutError(message, options);
  if (status === 413) return new PayloadTooLargeError(message, options);
  if (status === 429) return new RateLimitError(message, { ...options, retryAfterMs });
  if (status >= 500) return new ServerError(message, { ...options, retryAfterMs });
  if (status >= 400) return new InvalidRequestError(message, options);
  // 1xx/3xx reaching us means a proxy or redirect the SDK does not follow.
  return new InvalidRequestError(message, options);
}
