import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";

// KEYS: the endpoint's in-flight set, the org's disabled set. ARGV: now, lease expiry, limit, holder, endpoint id.
// A disabled endpoint gets no slot (-1). Expired leases (a crashed worker's) are dropped first.
// Returns 1 when the holder has a slot, 0 when the endpoint is busy.
const acquireScript = new Script(`
if redis.call('SISMEMBER', KEYS[2], ARGV[5]) == 1 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], latest[2])
  return 1
end
return 0
`);

export interface SlotRequest {
  /** The endpoint's in-flight set. */
  key: string;
  /** The org's set of disabled endpoint ids (same hash tag as `key`). */
  disabledKey: string;
  endpointId: string;
  holder: string;
  limit: number;
  now: number;
  leaseMs: number;
}

/**
 * A counting semaphore in Redis, one per endpoint, shared by every gateway
 * process: at most `limit` deliveries to one endpoint at a time. Slots are
 * leases, so a process that dies holding one frees it when the lease ends.
 * The same round trip checks that the endpoint is not disabled.
 */
export async function acquireSlot(
  redis: RedisClient,
  slot: SlotRequest,
): Promise<"acquired" | "busy" | "disabled"> {
  const result = await acquireScript.run(
    redis,
    [slot.key, slot.disabledKey],
    [slot.now, slot.now + slot.leaseMs, slot.limit, slot.holder, slot.endpointId],
  );
  return result === 1 ? "acquired" : result === -1 ? "disabled" : "busy";
}

/** Frees a slot; the attempt's bookkeeping (`settleAttempt`) frees it as well. */
export async function releaseSlot(redis: RedisClient, key: string, holder: string): Promise<void> {
  await redis.zrem(key, holder);
}
