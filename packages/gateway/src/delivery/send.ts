import type { Dispatcher } from "undici";
import { NetworkRefusedError } from "./errors.js";
import { parseRetryAfter } from "./schedule.js";

/** How much of a response the attempt log keeps. */
export const RESPONSE_EXCERPT_BYTES = 1024;

export type AttemptOutcome = "success" | "retry" | "disable" | "fail";

export interface AttemptResult {
  /** success: 2xx. retry: any other answer or a network error. disable: 410. fail: refused, never retried. */
  outcome: AttemptOutcome;
  /** Set on `fail`: why the message cannot be delivered. */
  reason?: "network_refused";
  /** The receiver's `Retry-After` on 429 and 503, in milliseconds. */
  retryAfterMs?: number;
  status?: number;
  latencyMs: number;
  /** The first KiB of the response body. */
  response: string;
  error?: string;
}

export interface SendOptions {
  dispatcher: Dispatcher;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The whole attempt (connect, headers, body) is cut after this many milliseconds. */
  timeoutMs: number;
  /** At most this many response bytes are read; the connection is dropped after that. */
  maxResponseBytes: number;
  now?: () => number;
}

function findRefusal(error: unknown): NetworkRefusedError | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof NetworkRefusedError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** Origin and path of each endpoint URL, parsed once (endpoints are few; their URLs rarely change). */
const targets = new Map<string, { origin: string; path: string }>();
function targetOf(url: string): { origin: string; path: string } {
  let target = targets.get(url);
  if (!target) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    if (targets.size >= 10_000) targets.clear();
    targets.set(url, target);
  }
  return target;
}

/** Thrown into undici to cut an attempt (timeout, or enough of the response read). */
class AttemptCut extends Error {}

/**
 * One delivery attempt: POSTs the signed body and classifies what came back.
 * Redirects are never followed (a 3xx is a failed attempt), so a receiver cannot
 * bounce the request to an address the network check did not see.
 *
 * Uses undici's `dispatch` with a handler rather than `request()`: the same
 * connection pool and timeouts without a body stream, an async iterator and an
 * AbortSignal per attempt, which were a large part of a webhook's CPU cost.
 */
export function sendAttempt(options: SendOptions): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const max = options.maxResponseBytes;

  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    let timedOut = false;
    let cut = false;
    let controller: Dispatcher.DispatchController | undefined;
    let status: number | undefined;
    let retryAfter: string | string[] | undefined;
    let read = 0;
    const chunks: Buffer[] = [];

    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    // Once the status is in, it decides the outcome; a slow or broken body is only noted.
    const answered = (bodyError?: string): AttemptResult => {
      const code = status as number;
      const base = {
        status: code,
        latencyMs: latency(),
        response: Buffer.concat(chunks).toString("utf8"),
        ...(bodyError ? { error: bodyError } : {}),
      };
      if (code >= 200 && code < 300) return { outcome: "success", ...base };
      if (code === 410) return { outcome: "disable", ...base };
      if (code === 429 || code === 503) {
        const retryAfterMs = parseRetryAfter(retryAfter, now());
        return { outcome: "retry", ...base, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
      }
      return { outcome: "retry", ...base };
    };
    const failed = (error: unknown) => {
      if (status !== undefined) {
        finish(answered(`response body: ${describe(error, timedOut, options.timeoutMs)}`));
        return;
      }
      const refusal = findRefusal(error);
      if (refusal) {
        finish({
          outcome: "fail",
          reason: "network_refused",
          latencyMs: latency(),
          response: "",
          error: refusal.message,
        });
        return;
      }
      finish({
        outcome: "retry",
        latencyMs: latency(),
        response: "",
        error: describe(error, timedOut, options.timeoutMs),
      });
    };

    const timer = setTimeout(() => {
      timedOut = true;
      const error = new AttemptCut(`timeout after ${options.timeoutMs} ms`);
      // Not on a connection yet: answer now; the request is cut as soon as undici starts it.
      if (controller) controller.abort(error);
      failed(error);
    }, options.timeoutMs);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (settled) c.abort(new AttemptCut("the attempt already ended"));
      },
      onResponseStart(_c, statusCode, headers) {
        if (statusCode < 200) return; // 1xx: the answer is still to come
        status = statusCode;
        retryAfter = headers["retry-after"];
      },
      onResponseData(c, chunk) {
        if (cut) return;
        if (read < RESPONSE_EXCERPT_BYTES) chunks.push(chunk.subarray(0, RESPONSE_EXCERPT_BYTES - read));
        read += chunk.length;
        if (read >= max) {
          // Enough read: answer with what came, and drop the connection rather than drain it.
          cut = true;
          finish(answered());
          c.abort(new AttemptCut("response larger than maxResponseBytes"));
        }
      },
      onResponseEnd() {
        finish(answered());
      },
      onResponseError(_c, error) {
        failed(error);
      },
    };

    try {
      const { origin, path } = targetOf(options.url);
      options.dispatcher.dispatch(
        {
          origin,
          path,
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "GigBridge-Webhooks/1",
            ...options.headers,
          },
          body: options.body,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      failed(error);
    }
  });
}
