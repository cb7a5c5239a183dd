import type { Gateway } from "../core/context.js";
import { Script } from "../core/script.js";
import { healthLua } from "./health.js";
import { deliveryKeys } from "./keys.js";
import { execOrThrow } from "./redis-util.js";
import type { AttemptOutcome } from "./send.js";

/** Attempts kept per endpoint (newest) and per message (oldest are dropped first). */
export const ENDPOINT_ATTEMPTS_KEPT = 1000;
export const MESSAGE_ATTEMPTS_KEPT = 50;

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
      .pexpire(endpointKey, gw.config.retention.attempts)
      .rpush(messageKey, entry)
      .ltrim(messageKey, -MESSAGE_ATTEMPTS_KEPT, -1)
      .pexpire(messageKey, gw.config.retention.attempts),
  );
}

/** What an attempt says about its endpoint's health. */
export type AttemptHealth = "success" | "failure" | "gone";

/** The endpoint's state after a settled attempt; `"disabled"` goes to exactly one caller, the one that announces it. */
export type HealthAfter = "enabled" | "disabled" | "already_disabled";

// KEYS: in-flight set, endpoint attempt log, message attempt log, health hash, disabled set.
// ARGV: holder, attempt JSON, endpoint kept, message kept, log TTL ms, health (success|failure|gone),
// now, disableAfterMs, endpoint id.
// Frees the slot, appends the attempt to both logs, then the health part returns (see healthLua).
const settleScript = new Script(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('RPUSH', KEYS[3], ARGV[2])
redis.call('LTRIM', KEYS[3], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if ARGV[6] == 'success' then
${healthLua.success("KEYS[4]", "ARGV[7]")}
elseif ARGV[6] == 'gone' then
${healthLua.disable("KEYS[4]", "KEYS[5]", "ARGV[9]", "ARGV[7]", "'gone'")}
else
${healthLua.failure("KEYS[4]", "KEYS[5]", "ARGV[9]", "ARGV[7]", "ARGV[8]")}
end
`);

/**
 * Everything a worker's delivery attempt leaves in Redis, in one atomic round
 * trip: frees the endpoint's concurrency slot held by `holder`, appends the
 * attempt to the endpoint's and the message's logs (as {@link recordAttempt}),
 * and notes the endpoint's health: a success ends its run of failures, a
 * failure may disable it after `disableAfterMs`, `gone` (410) disables it at once.
 */
export async function settleAttempt(
  gw: Gateway,
  orgId: string,
  attempt: Attempt,
  settle: { holder: string; health: AttemptHealth; now: number; disableAfterMs: number },
): Promise<HealthAfter> {
  const { endpointId } = attempt;
  const result = await settleScript.run(
    gw.redis,
    [
      deliveryKeys.inflight(orgId, endpointId),
      deliveryKeys.endpointAttempts(orgId, endpointId),
      deliveryKeys.messageAttempts(orgId, attempt.messageId),
      deliveryKeys.health(orgId, endpointId),
      deliveryKeys.disabled(orgId),
    ],
    [
      settle.holder,
      JSON.stringify(attempt),
      ENDPOINT_ATTEMPTS_KEPT,
      MESSAGE_ATTEMPTS_KEPT,
      // Attempt logs expire this long after their last write.
      gw.config.retention.attempts,
      settle.health,
      settle.now,
      settle.disableAfterMs,
      endpointId,
    ],
  );
  if (settle.health === "success") return "enabled";
  if (settle.health === "gone") return result === 1 ? "disabled" : "already_disabled";
  return result === 1 ? "disabled" : result === 2 ? "already_disabled" : "enabled";
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
