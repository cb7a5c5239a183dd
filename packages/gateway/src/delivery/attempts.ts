import type { Gateway } from "../core/context.js";
import { decodeCursor, encodeCursor, isNumber, isString } from "../core/cursor.js";
import { execOrThrow } from "../core/exec.js";
import { Script } from "../core/script.js";
import { ERASED } from "../erasure/scrub.js";
import { type BoardState, healthLua } from "./health.js";
import { deliveryKeys } from "./keys.js";
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
  attemptedAt: string;
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

/** A settled attempt: the endpoint's state, and its move on the cross-org health board if it moved. */
export interface Settled {
  health: HealthAfter;
  board: BoardState | undefined;
}

// KEYS: in-flight set, endpoint attempt log, message attempt log, health hash, disabled set, erased messages.
// ARGV: holder, attempt JSON, endpoint kept, message kept, log TTL ms, health (success|failure|gone),
// now, disableAfterMs, endpoint id, message id, attempt JSON with the response erased.
// Frees the slot, appends the attempt to both logs (without the response if the message's worker was
// erased meanwhile), then the health part returns (see healthLua).
const settleScript = new Script(`
redis.call('ZREM', KEYS[1], ARGV[1])
local entry = ARGV[2]
if redis.call('SISMEMBER', KEYS[6], ARGV[10]) == 1 then entry = ARGV[11] end
redis.call('LPUSH', KEYS[2], entry)
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('RPUSH', KEYS[3], entry)
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
): Promise<Settled> {
  const { endpointId } = attempt;
  const result = await settleScript.run(
    gw.redis,
    [
      deliveryKeys.inflight(orgId, endpointId),
      deliveryKeys.endpointAttempts(orgId, endpointId),
      deliveryKeys.messageAttempts(orgId, attempt.messageId),
      deliveryKeys.health(orgId, endpointId),
      deliveryKeys.disabled(orgId),
      deliveryKeys.erasedMessages(orgId),
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
      attempt.messageId,
      JSON.stringify({ ...attempt, response: ERASED }),
    ],
  );
  if (settle.health === "success") return { health: "enabled", board: result === 1 ? "healthy" : undefined };
  if (result === 1) return { health: "disabled", board: "disabled" };
  if (settle.health === "gone" || result === 2) return { health: "already_disabled", board: undefined };
  return { health: "enabled", board: result === 3 ? "failing" : undefined };
}

/** Where a page of attempts ended: the last attempt shown. */
export interface AttemptPosition {
  attemptedAt: string;
  messageId: string;
  attempt: number;
}

/** The cursor after an attempt, for any attempt list. */
export const attemptCursor = (p: AttemptPosition) => encodeCursor([p.attemptedAt, p.messageId, p.attempt]);

/** The position a cursor from {@link attemptCursor} holds; 422 for anything else. */
export const readAttemptCursor = (cursor: string): AttemptPosition =>
  decodeCursor(cursor, ([attemptedAt, messageId, attempt]) =>
    isString(attemptedAt) && isString(messageId) && isNumber(attempt)
      ? { attemptedAt, messageId, attempt }
      : undefined,
  );

/** Reads a stored attempt; entries written before the field was named `attemptedAt` said `at`. */
function fromStored(entry: string): Attempt {
  const { at, ...rest } = JSON.parse(entry) as Attempt & { at?: string };
  return { ...rest, attemptedAt: rest.attemptedAt ?? (at as string) };
}

const samePosition = (a: Attempt, p: AttemptPosition) =>
  a.attemptedAt === p.attemptedAt && a.messageId === p.messageId && a.attempt === p.attempt;

/**
 * One page of attempts, newest first, after `after` (the last attempt of the previous page). The
 * logs are short and capped, so a page is cut from the whole log: new attempts arriving between
 * pages do not shift it, and an attempt trimmed since is passed by its time.
 */
export function pageOf(newestFirst: Attempt[], after: AttemptPosition | undefined, limit: number) {
  let start = 0;
  if (after) {
    const at = newestFirst.findIndex((a) => samePosition(a, after));
    start = at >= 0 ? at + 1 : newestFirst.findIndex((a) => a.attemptedAt < after.attemptedAt);
    if (start < 0) start = newestFirst.length;
  }
  const items = newestFirst.slice(start, start + limit);
  const last = items.at(-1);
  const more = start + limit < newestFirst.length && last !== undefined;
  return {
    items,
    next: more ? { attemptedAt: last.attemptedAt, messageId: last.messageId, attempt: last.attempt } : null,
  };
}

/** A page of the endpoint's attempts, newest first (optionally only one message's). */
export async function listEndpointAttempts(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  options: { limit: number; after?: AttemptPosition | undefined; messageId?: string | undefined },
): Promise<{ items: Attempt[]; next: AttemptPosition | null }> {
  const all = options.messageId
    ? (await listMessageAttempts(gw, orgId, options.messageId))
        .filter((a) => a.endpointId === endpointId)
        .reverse()
    : (await gw.redis.lrange(deliveryKeys.endpointAttempts(orgId, endpointId), 0, -1)).map(fromStored);
  return pageOf(all, options.after, options.limit);
}

/** A message's attempts (at most {@link MESSAGE_ATTEMPTS_KEPT}), oldest first, as a failure's detail shows them. */
export async function listMessageAttempts(gw: Gateway, orgId: string, messageId: string): Promise<Attempt[]> {
  const entries = await gw.redis.lrange(deliveryKeys.messageAttempts(orgId, messageId), 0, -1);
  return entries.map(fromStored);
}
