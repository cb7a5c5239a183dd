/**
 * One error hierarchy for everything the SDK can report. Callers branch on the
 * class (`instanceof RateLimitError`) or on `kind` (the gateway's problem kind),
 * never on message text. Gateway errors are mapped by kind first, then by status.
 */

import type { ValidationError as FieldError, Problem, ProblemKind } from "@gigbridge/schemas";

export type { FieldError, Problem, ProblemKind };

export interface GigBridgeErrorOptions {
  /** HTTP status of the gateway's response, when there was one. */
  status?: number;
  /** The gateway's problem+json body, when it sent one. */
  problem?: Problem;
  /** From the `x-request-id` response header (or the problem body); quote it when asking for support. */
  requestId?: string;
  /** The problem kind the gateway named in `type` (`/problems/<kind>`), when it is one this SDK knows. */
  kind?: ProblemKind;
  cause?: unknown;
}

export class GigBridgeError extends Error {
  readonly status: number | undefined;
  readonly problem: Problem | undefined;
  readonly requestId: string | undefined;
  /** The gateway's problem kind (`conflict`, `illegal_transition`, `batch_too_large`...), if it sent one. */
  readonly kind: ProblemKind | undefined;

  constructor(message: string, options: GigBridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
    this.problem = options.problem;
    this.kind = options.kind;
    this.requestId = options.requestId ?? options.problem?.requestId;
  }
}

/**
 * The signal does not match the schema. Thrown locally before anything is sent, with
 * the same pointers the gateway would report, or returned by the gateway (400/422).
 */
export class ValidationError extends GigBridgeError {
  readonly errors: FieldError[];

  constructor(message: string, errors: FieldError[], options: GigBridgeErrorOptions = {}) {
    super(message, options);
    this.errors = errors;
  }
}

/** 401: the API key is missing, malformed or revoked. */
export class AuthenticationError extends GigBridgeError {}

/** 403: the API key is valid but may not do this (for example a signal type it is not allowed to send). */
export class PermissionError extends GigBridgeError {}

/** 404: for example `signals.get` with an id the gateway never received. */
export class NotFoundError extends GigBridgeError {}

/** 413: the request body is over the gateway's limit. Batches are split before this reaches a caller. */
export class PayloadTooLargeError extends GigBridgeError {}

/** 413 `batch_too_large`: more signals in one batch than the gateway takes. Batches are split before this reaches a caller. */
export class BatchTooLargeError extends PayloadTooLargeError {}

/** Any other final 4xx (409, 415, ...): the request itself is wrong and retrying will not help. */
export class InvalidRequestError extends GigBridgeError {}

/** 409 `conflict`: the change clashes with what the gateway holds (a configured resource, a concurrent change). */
export class ConflictError extends InvalidRequestError {}

/** 409 `illegal_transition`: the task's status does not allow the action; `problem.taskStatus` says what it is. */
export class IllegalTransitionError extends ConflictError {}

/** Errors after which the gateway asked for a pause carry how long, in milliseconds. */
export interface RetryAfterOptions extends GigBridgeErrorOptions {
  retryAfterMs?: number;
}

/** 429: the platform is over its rate limit. Retried automatically, honouring `Retry-After`. */
export class RateLimitError extends GigBridgeError {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RetryAfterOptions = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** 5xx, including 503 while the gateway's Redis is down. Retried automatically. */
export class ServerError extends GigBridgeError {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RetryAfterOptions = {}) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** The gateway could not be reached, or the connection broke before a response. Retried automatically. */
export class ConnectionError extends GigBridgeError {}

/** No response within `timeoutMs`, or the gateway answered 408. Retried automatically. */
export class TimeoutError extends GigBridgeError {}

/** `enqueue` found the in-memory queue at `maxQueueSize`, or the signal was dropped to make room. */
export class QueueFullError extends GigBridgeError {}

/** The client was closed before this signal could be sent (or `send`/`enqueue` was called after `close`). */
export class ClientClosedError extends GigBridgeError {}

/** A webhook's headers, timestamp, signature or body did not check out. */
/** Why a webhook delivery was refused; handlers send it back in their 400 answer. */
export type WebhookFailureReason =
  | "missing_headers"
  | "invalid_timestamp"
  | "timestamp_too_old"
  | "timestamp_in_future"
  | "signature_mismatch"
  | "body_not_json"
  | "raw_body_unavailable";

export class WebhookVerificationError extends GigBridgeError {
  /** A stable code for the failure; branch on it (or the class), never on the message. */
  readonly reason: WebhookFailureReason;

  constructor(
    message: string,
    reason: WebhookFailureReason = "signature_mismatch",
    options: GigBridgeErrorOptions = {},
  ) {
    super(message, options);
    this.reason = reason;
  }
}

/** Whether trying the same request again later can succeed. */
export function isRetryable(error: unknown): boolean {
  return (
    error instanceof ConnectionError ||
    error instanceof TimeoutError ||
    error instanceof RateLimitError ||
    error instanceof ServerError
  );
}

/** The gateway's requested pause, if the error carries one. */
export function retryAfterOf(error: unknown): number | undefined {
  if (error instanceof RateLimitError || error instanceof ServerError) return error.retryAfterMs;
  return undefined;
}
