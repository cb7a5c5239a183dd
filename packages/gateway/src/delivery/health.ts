import type { Gateway } from "../core/context.js";
import { Script } from "../core/script.js";
import { deliveryKeys } from "./keys.js";
import { execOrThrow } from "./redis-util.js";

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

// KEYS: health hash, disabled set. ARGV: now, disableAfterMs, endpointId.
// Returns 0 (still enabled), 1 (disabled by this call) or 2 (was already disabled).
const recordFailureScript = new Script(`
if redis.call('SISMEMBER', KEYS[2], ARGV[3]) == 1 then return 2 end
redis.call('HSETNX', KEYS[1], 'failingSince', ARGV[1])
redis.call('HSET', KEYS[1], 'lastFailureAt', ARGV[1])
local since = tonumber(redis.call('HGET', KEYS[1], 'failingSince'))
if tonumber(ARGV[1]) - since >= tonumber(ARGV[2]) then
  redis.call('SADD', KEYS[2], ARGV[3])
  redis.call('HSET', KEYS[1], 'disabledAt', ARGV[1], 'disabledReason', 'failing')
  return 1
end
return 0
`);

// KEYS: health hash, disabled set. ARGV: now, endpointId, reason. Returns 1 when this call disabled it.
const disableScript = new Script(`
if redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'disabledAt', ARGV[1], 'disabledReason', ARGV[3], 'lastFailureAt', ARGV[1])
return 1
`);

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

/** A delivered attempt ends the endpoint's run of failures. */
export async function recordSuccess(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  now: number,
): Promise<void> {
  await execOrThrow(
    gw.redis
      .multi()
      .hdel(deliveryKeys.health(orgId, endpointId), "failingSince")
      .hset(deliveryKeys.health(orgId, endpointId), "lastSuccessAt", String(now)),
  );
}

/**
 * Notes a failed attempt; disables the endpoint once it has failed without a
 * success for `disableAfterMs`. `"disabled"` is returned to exactly one caller,
 * the one that should log and announce it.
 */
export async function recordFailure(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  now: number,
  disableAfterMs: number,
): Promise<"enabled" | "disabled" | "already_disabled"> {
  const result = await recordFailureScript.run(
    gw.redis,
    [deliveryKeys.health(orgId, endpointId), deliveryKeys.disabled(orgId)],
    [now, disableAfterMs, endpointId],
  );
  return result === 1 ? "disabled" : result === 2 ? "already_disabled" : "enabled";
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
}
