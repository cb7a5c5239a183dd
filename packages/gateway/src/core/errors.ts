import { type ProblemKind, problemKinds } from "@gigbridge/schemas";

/**
 * One error hierarchy for the gateway. Every failure a caller can see has a
 * kind (`problemKinds` in packages/schemas); the kind fixes its HTTP status, its
 * problem `type` URI and its title (RFC 9457). Code throws these; the HTTP layer renders them.
 */
export { type ProblemKind, problemKinds } from "@gigbridge/schemas";

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
    if (e.name === "MaxRetriesPerRequestError" || e.name === "ClusterAllFailedError") return true;
    // Redis answered, but cannot serve now: a cluster without a master for the slot, a replica
    // being promoted, a dataset loading after a restart, or memory full. All pass with time.
    if (
      e.name === "ReplyError" &&
      /^(CLUSTERDOWN|TRYAGAIN|LOADING|MASTERDOWN|READONLY|OOM|BUSY)\b/.test(e.message)
    )
      return true;
    if (
      typeof code === "string" &&
      /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|ENOTCONN)$/.test(code)
    )
      return true;
    if (
      /enableOfflineQueue|Connection is closed|Command timed out|Stream isn't writeable|connect ETIMEDOUT|Too many Cluster redirections|Failed to refresh slots cache|None of startup nodes|Cluster isn't ready/i.test(
        e.message,
      )
    ) {
      return true;
    }
  }
  return false;
}

/**
 * Runs a Redis call on a request path. Redis being out of reach becomes a 503
 * with Retry-After (`detail` says what that meant for the caller); the gateway's
 * own errors and anything else, a programming error included, pass through
 * unchanged, so a bug answers 500 and is logged with its stack instead of
 * looking like an outage that a client retries forever.
 */
export async function withRedis<T>(
  fn: () => Promise<T>,
  detail = "Redis is unavailable; retry shortly.",
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof GatewayError || !isRedisUnavailable(error)) throw error;
    throw new UnavailableError(detail, error);
  }
}
