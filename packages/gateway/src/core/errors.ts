/**
 * One error hierarchy for the gateway. Every failure a caller can see has a
 * kind; the kind fixes its HTTP status, its stable problem `type` URI and its
 * title (RFC 9457). Code throws these; the HTTP layer renders them.
 */
export const problemKinds = {
  validation: { status: 422, title: "The request is not valid" },
  malformed_json: { status: 400, title: "The request body is not valid JSON" },
  bad_request: { status: 400, title: "Bad request" },
  unauthenticated: { status: 401, title: "Authentication is required" },
  forbidden: { status: 403, title: "Not allowed" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflict" },
  illegal_transition: { status: 409, title: "The task cannot move to that state" },
  payload_too_large: { status: 413, title: "The request body is too large" },
  batch_too_large: { status: 413, title: "The batch has too many signals" },
  unsupported_media_type: { status: 415, title: "Only application/json is accepted" },
  expectation_failed: { status: 417, title: "The expectation cannot be met" },
  rate_limited: { status: 429, title: "Too many requests" },
  headers_too_large: { status: 431, title: "The request headers are too large" },
  internal: { status: 500, title: "Internal error" },
  unavailable: { status: 503, title: "Temporarily unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemKind = keyof typeof problemKinds;

/** Base of the problem `type` URIs; stable, part of the public contract. */
export const PROBLEM_BASE = "https://gigbridge.dev/problems/";

export interface ProblemDetailItem {
  pointer: string;
  detail: string;
}

export class GatewayError extends Error {
  readonly kind: ProblemKind;
  readonly errors: ProblemDetailItem[] | undefined;
  /** Extra response headers (Retry-After and the like). */
  readonly headers: Record<string, string>;
  /** Extra members of the problem body. */
  readonly extensions: Record<string, unknown>;

  constructor(
    kind: ProblemKind,
    detail: string,
    options: {
      errors?: ProblemDetailItem[];
      headers?: Record<string, string>;
      extensions?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = "GatewayError";
    this.kind = kind;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
    this.extensions = options.extensions ?? {};
  }

  get status(): number {
    return problemKinds[this.kind].status;
  }
}

export class ValidationError extends GatewayError {
  constructor(detail: string, errors: ProblemDetailItem[]) {
    super("validation", detail, { errors });
    this.name = "ValidationError";
  }
}

export class NotFoundError extends GatewayError {
  constructor(detail: string) {
    super("not_found", detail);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends GatewayError {
  constructor(detail: string, kind: "conflict" | "illegal_transition" = "conflict") {
    super(kind, detail);
    this.name = "ConflictError";
  }
}

export class ForbiddenError extends GatewayError {
  constructor(detail: string) {
    super("forbidden", detail);
    this.name = "ForbiddenError";
  }
}

/** Redis (or another store) did not answer in time: callers should retry later. */
export class UnavailableError extends GatewayError {
  constructor(detail: string, cause?: unknown, retryAfterSeconds = 2) {
    super("unavailable", detail, { cause, headers: { "Retry-After": String(retryAfterSeconds) } });
    this.name = "UnavailableError";
  }
}

/**
 * True for the errors ioredis raises when Redis cannot be reached (no offline
 * queue while disconnected, timeouts, closed or refused connections), as
 * opposed to errors Redis itself answered with.
 */
export function isRedisUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (e.name === "MaxRetriesPerRequestError") return true;
    if (
      typeof code === "string" &&
      /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN)$/.test(code)
    )
      return true;
    if (
      /enableOfflineQueue|Connection is closed|Command timed out|Stream isn't writeable|connect ETIMEDOUT/i.test(
        e.message,
      )
    ) {
      return true;
    }
  }
  return false;
}
