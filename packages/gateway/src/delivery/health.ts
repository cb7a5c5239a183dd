import type { Gateway } from "../core/context.js";
import { execOrThrow } from "../core/exec.js";
import { Script } from "../core/script.js";
import { deliveryKeys } from "./keys.js";

/** Why an endpoint was disabled. */
export type DisabledReason = "gone" | "failing";

export interface EndpointHealth {
  disabled: boolean;
  disabledAt?: string;
  disabledReason?: DisabledReason;
  /** Start of the current run of failed attempts; absent while the endpoint succeeds. */
  failingSince?: string;
  lastSuccessAt?: string;
  lastFailureAt?: string;
}

/**
 * Health bookkeeping as Lua, shared by the scripts below and the one script a
 * delivery attempt ends with (`settleAttempt` in attempts.ts). Each takes Lua
 * expressions for its keys and arguments: `h` the endpoint's health hash, `d`
 * the org's disabled set, `id` the endpoint id, `now` in ms.
 */
export const healthLua = {
  /** A delivered attempt ends the run of failures. Returns 1 when it was failing, else 0. */
  success: (h: string, now: string) => `
local was = redis.call('HDEL', ${h}, 'failingSince')
redis.call('HSET', ${h}, 'lastSuccessAt', ${now})
return was`,
  /**
   * A failed attempt; disables the endpoint once it has failed without a success for `after` ms.
   * The start of a run of failures is forgotten `2 × after` ms after it began (the TTL Svix gives
   * its first-failure marker): an endpoint whose messages gave up long ago starts a new run
   * instead of being disabled by its next single failure.
   * Returns 0 (still enabled), 1 (disabled by this call), 2 (was already disabled) or 3 (still
   * enabled, and this is the first failure of a run).
   */
  failure: (h: string, d: string, id: string, now: string, after: string) => `
if redis.call('SISMEMBER', ${d}, ${id}) == 1 then return 2 end
local now, after = tonumber(${now}), tonumber(${after})
local first = 0
local since = tonumber(redis.call('HGET', ${h}, 'failingSince'))
if since == nil or now - since >= 2 * after then
  since = now
  first = 1
  redis.call('HSET', ${h}, 'failingSince', now)
end
redis.call('HSET', ${h}, 'lastFailureAt', now)
if now - since >= after then
  redis.call('SADD', ${d}, ${id})
  redis.call('HSET', ${h}, 'disabledAt', ${now}, 'disabledReason', 'failing')
  return 1
end
if first == 1 then return 3 end
return 0`,
  /** Disables the endpoint at once. Returns 1 when this call disabled it, 0 when it already was. */
  disable: (h: string, d: string, id: string, now: string, reason: string) => `
if redis.call('SADD', ${d}, ${id}) == 0 then return 0 end
redis.call('HSET', ${h}, 'disabledAt', ${now}, 'disabledReason', ${reason}, 'lastFailureAt', ${now})
return 1`,
};

// KEYS: health hash, disabled set. ARGV: now, endpointId, reason.
const disableScript = new Script(healthLua.disable("KEYS[1]", "KEYS[2]", "ARGV[2]", "ARGV[1]", "ARGV[3]"));

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : undefined);

function toHealth(disabled: boolean, fields: Record<string, string>): EndpointHealth {
  const health: EndpointHealth = { disabled };
  const set = <K extends keyof EndpointHealth>(key: K, value: EndpointHealth[K] | undefined) => {
    if (value !== undefined) health[key] = value;
  };
  if (disabled) {
    set("disabledAt", iso(fields.disabledAt));
    set("disabledReason", fields.disabledReason as DisabledReason | undefined);
  }
  set("failingSince", iso(fields.failingSince));
  set("lastSuccessAt", iso(fields.lastSuccessAt));
  set("lastFailureAt", iso(fields.lastFailureAt));
  return health;
}

/** The health of several endpoints of one org in one round trip. */
export async function readHealth(
  gw: Gateway,
  orgId: string,
  endpointIds: readonly string[],
): Promise<Map<string, EndpointHealth>> {
  const pipeline = gw.redis.pipeline().smembers(deliveryKeys.disabled(orgId));
  for (const id of endpointIds) pipeline.hgetall(deliveryKeys.health(orgId, id));
  const [members, ...fields] = await execOrThrow(pipeline);
  const disabled = new Set(members as string[]);
  return new Map(
    endpointIds.map((id, i) => [id, toHealth(disabled.has(id), (fields[i] as Record<string, string>) ?? {})]),
  );
}

/** Ids of the org's disabled endpoints. */
export async function disabledEndpointIds(gw: Gateway, orgId: string): Promise<Set<string>> {
  return new Set(await gw.redis.smembers(deliveryKeys.disabled(orgId)));
}

/** Disables an endpoint at once (410 Gone). True when this call disabled it. */
export async function disableEndpoint(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  reason: DisabledReason,
  now: number,
): Promise<boolean> {
  const result = await disableScript.run(
    gw.redis,
    [deliveryKeys.health(orgId, endpointId), deliveryKeys.disabled(orgId)],
    [now, endpointId, reason],
  );
  if (result === 1) await noteOnBoard(gw, orgId, endpointId, "disabled", now);
  return result === 1;
}

/** Enables an endpoint again with a clean failure record. */
export async function enableEndpoint(gw: Gateway, orgId: string, endpointId: string): Promise<void> {
  await execOrThrow(
    gw.redis
      .multi()
      .srem(deliveryKeys.disabled(orgId), endpointId)
      .hdel(deliveryKeys.health(orgId, endpointId), "failingSince", "disabledAt", "disabledReason"),
  );
  await noteOnBoard(gw, orgId, endpointId, "healthy", gw.now());
}

/** An endpoint's state as the cross-org board (metrics, alerts) sees it. */
export type BoardState = "healthy" | "failing" | "disabled" | "gone";

/**
 * Moves an endpoint on the cross-org health board (`failingBoard`, `disabledBoard`). Called only
 * when its state changes, so the board costs nothing per successful delivery. Never throws: the
 * board feeds metrics, and the endpoint's own state (under its org's hash tag) is the truth.
 */
export async function noteOnBoard(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  state: BoardState,
  now: number,
): Promise<void> {
  const member = `${orgId}/${endpointId}`;
  const pipeline = gw.redis.multi();
  if (state === "failing") pipeline.zadd(deliveryKeys.failingBoard, "NX", String(now), member);
  else pipeline.zrem(deliveryKeys.failingBoard, member);
  if (state === "disabled") pipeline.zadd(deliveryKeys.disabledBoard, "NX", String(now), member);
  else if (state !== "failing") pipeline.zrem(deliveryKeys.disabledBoard, member);
  await execOrThrow(pipeline).catch((error: unknown) =>
    gw.logger.warn({ err: error, orgId, endpointId }, "could not update the endpoint health board"),
  );
}

export interface HealthBoard {
  failing: number;
  disabled: number;
  /** How long the endpoint that has failed longest has been failing, in seconds (0 when none). */
  longestFailingSeconds: number;
}

/** The cross-org endpoint health counts, in one round trip. */
export async function readHealthBoard(gw: Gateway): Promise<HealthBoard> {
  const [failing, disabled, oldest] = await execOrThrow(
    gw.redis
      .multi()
      .zcard(deliveryKeys.failingBoard)
      .zcard(deliveryKeys.disabledBoard)
      .zrange(deliveryKeys.failingBoard, "0", "0", "WITHSCORES"),
  );
  const since = Number((oldest as string[])[1]);
  return {
    failing: failing as number,
    disabled: disabled as number,
    longestFailingSeconds: Number.isFinite(since) ? Math.max(0, (gw.now() - since) / 1000) : 0,
  };
}
