import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import type { PointsEntry } from "../rules/decision.js";
import { workerKeys } from "./keys.js";

/** A ledger entry as stored: the entry and the member's balance right after it. */
export type LedgerEntry = PointsEntry & { balance: number };

/**
 * Adds an entry once per activity id and returns the stored entry: the new one, or the one an
 * earlier signal (or an earlier run of this one) added, so replays never count an activity twice.
 * KEYS: entries hash, order zset, balance. ARGV: activity id, entry JSON without balance.
 */
const ADD = new Script(`
local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return {0, existing} end
local entry = cjson.decode(ARGV[2])
local balance = redis.call('INCRBYFLOAT', KEYS[3], entry.points)
entry.balance = tonumber(balance)
local json = cjson.encode(entry)
redis.call('HSET', KEYS[1], ARGV[1], json)
redis.call('ZADD', KEYS[2], redis.call('ZCARD', KEYS[2]) + 1, ARGV[1])
return {1, json}
`);

export async function addPoints(
  redis: RedisClient,
  entry: PointsEntry,
): Promise<{ added: boolean; entry: LedgerEntry }> {
  const { subjectId, activityId } = entry;
  const [added, json] = (await ADD.run(
    redis,
    [workerKeys.ledger(subjectId), workerKeys.ledgerOrder(subjectId), workerKeys.balance(subjectId)],
    [activityId, JSON.stringify(entry)],
  )) as [number, string];
  return { added: added === 1, entry: JSON.parse(json) as LedgerEntry };
}

export interface Ledger {
  balance: number;
  /** Newest first. */
  entries: LedgerEntry[];
  /** Entries on the ledger in all. */
  total: number;
}

/** The balance and the newest `limit` entries, `offset` entries from the newest. */
export async function readLedger(
  redis: RedisClient,
  subjectId: string,
  limit: number,
  offset = 0,
): Promise<Ledger> {
  const [balance, ids, total] = await Promise.all([
    redis.get(workerKeys.balance(subjectId)),
    redis.zrevrange(workerKeys.ledgerOrder(subjectId), offset, offset + limit - 1),
    redis.zcard(workerKeys.ledgerOrder(subjectId)),
  ]);
  const jsons = ids.length > 0 ? await redis.hmget(workerKeys.ledger(subjectId), ...ids) : [];
  const entries = jsons.filter((j): j is string => j !== null).map((j) => JSON.parse(j) as LedgerEntry);
  return { balance: Number(balance ?? 0), entries, total };
}
