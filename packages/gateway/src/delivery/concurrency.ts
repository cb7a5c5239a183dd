import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";

// KEYS: the endpoint's in-flight set. ARGV: now, lease expiry, limit, holder.
// Expired leases (a crashed worker's) are dropped first. Returns 1 when the holder has a slot.
const acquireScript = new Script(`
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[4]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  local latest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  redis.call('PEXPIREAT', KEYS[1], latest[2])
  return 1
end
return 0
`);

/**
 * A counting semaphore in Redis, one per endpoint, shared by every gateway
 * process: at most `limit` deliveries to one endpoint at a time. Slots are
 * leases, so a process that dies holding one frees it when the lease ends.
 */
export async function acquireSlot(
  redis: RedisClient,
  key: string,
  holder: string,
  limit: number,
  now: number,
  leaseMs: number,
): Promise<boolean> {
  return (await acquireScript.run(redis, [key], [now, now + leaseMs, limit, holder])) === 1;
}

export async function releaseSlot(redis: RedisClient, key: string, holder: string): Promise<void> {
  await redis.zrem(key, holder);
}
