import type { Gateway } from "../core/context.js";
import { deliveryKeys } from "./keys.js";
import { execOrThrow } from "./redis-util.js";
import type { AttemptOutcome } from "./send.js";

/** Attempts kept per endpoint (newest) and per message (oldest are dropped first). */
export const ENDPOINT_ATTEMPTS_KEPT = 1000;
export const MESSAGE_ATTEMPTS_KEPT = 50;
/** Attempt logs expire this long after their last write. */
export const ATTEMPT_LOG_TTL_MS = 30 * 24 * 3_600_000;

/** One delivery attempt, as the org and operators read it. */
export interface Attempt {
  messageId: string;
  endpointId: string;
  /** 1 for the first attempt of a message; a replay starts again at 1. */
  attempt: number;
  /** When the attempt started (RFC 3339). */
  at: string;
  outcome: AttemptOutcome;
  status?: number;
  latencyMs: number;
  /** The first bytes of the response body (`delivery.maxResponseBytes`, 1 KiB by default). */
  response: string;
  error?: string;
}

/** Appends an attempt to the endpoint's and the message's logs in one transaction. */
export async function recordAttempt(gw: Gateway, orgId: string, attempt: Attempt): Promise<void> {
  const entry = JSON.stringify(attempt);
  const endpointKey = deliveryKeys.endpointAttempts(orgId, attempt.endpointId);
  const messageKey = deliveryKeys.messageAttempts(orgId, attempt.messageId);
  await execOrThrow(
    gw.redis
      .multi()
      .lpush(endpointKey, entry)
      .ltrim(endpointKey, 0, ENDPOINT_ATTEMPTS_KEPT - 1)
      .pexpire(endpointKey, ATTEMPT_LOG_TTL_MS)
      .rpush(messageKey, entry)
      .ltrim(messageKey, -MESSAGE_ATTEMPTS_KEPT, -1)
      .pexpire(messageKey, ATTEMPT_LOG_TTL_MS),
  );
}

/** The endpoint's most recent attempts, newest first. */
export async function listEndpointAttempts(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  limit = 50,
): Promise<Attempt[]> {
  const entries = await gw.redis.lrange(
    deliveryKeys.endpointAttempts(orgId, endpointId),
    0,
    Math.max(limit, 1) - 1,
  );
  return entries.map((entry) => JSON.parse(entry) as Attempt);
}

/** A message's attempts, oldest first. */
export async function listMessageAttempts(gw: Gateway, orgId: string, messageId: string): Promise<Attempt[]> {
  const entries = await gw.redis.lrange(deliveryKeys.messageAttempts(orgId, messageId), 0, -1);
  return entries.map((entry) => JSON.parse(entry) as Attempt);
}
