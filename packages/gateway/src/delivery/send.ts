import { type Dispatcher, request } from "undici";
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

/**
 * One delivery attempt: POSTs the signed body and classifies what came back.
 * Redirects are never followed (a 3xx is a failed attempt), so a receiver cannot
 * bounce the request to an address the network check did not see.
 */
export async function sendAttempt(options: SendOptions): Promise<AttemptResult> {
  const now = options.now ?? Date.now;
  const started = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  const latency = () => Math.round(performance.now() - started);

  let status: number | undefined;
  let headers: Record<string, string | string[] | undefined> = {};
  const chunks: Buffer[] = [];
  let error: string | undefined;
  try {
    const response = await request(options.url, {
      dispatcher: options.dispatcher,
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "GigBridge-Webhooks/1",
        ...options.headers,
      },
      body: options.body,
      signal: controller.signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    status = response.statusCode;
    headers = response.headers;
    let read = 0;
    try {
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        if (read < RESPONSE_EXCERPT_BYTES) chunks.push(buffer.subarray(0, RESPONSE_EXCERPT_BYTES - read));
        read += buffer.length;
        if (read >= options.maxResponseBytes) {
          response.body.destroy();
          break;
        }
      }
    } catch (bodyError) {
      // The status already decides the outcome; a slow or broken body is only noted.
      error = `response body: ${describe(bodyError, timedOut, options.timeoutMs)}`;
    }
  } catch (requestError) {
    const refusal = findRefusal(requestError);
    const latencyMs = latency();
    clearTimeout(timer);
    if (refusal)
      return { outcome: "fail", reason: "network_refused", latencyMs, response: "", error: refusal.message };
    return {
      outcome: "retry",
      latencyMs,
      response: "",
      error: describe(requestError, timedOut, options.timeoutMs),
    };
  } finally {
    clearTimeout(timer);
  }

  const latencyMs = latency();
  const response = Buffer.concat(chunks).toString("utf8");
  const base = { status, latencyMs, response, ...(error ? { error } : {}) };
  if (status >= 200 && status < 300) return { outcome: "success", ...base };
  if (status === 410) return { outcome: "disable", ...base };
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfter(headers["retry-after"], now());
    return { outcome: "retry", ...base, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  return { outcome: "retry", ...base };
}
