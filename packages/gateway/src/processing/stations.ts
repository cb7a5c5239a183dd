import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import type { StationChange, StationInfo } from "../rules/decision.js";
import { FULL_MEMBERS_FOR_GROUP } from "../rules/r6-establish-organization.js";
import { stationKeys } from "./keys.js";

export async function loadStation(
  redis: RedisClient,
  platformId: string,
  stationId: string,
): Promise<StationInfo | undefined> {
  const json = await redis.hget(stationKeys.info(platformId, stationId), "json");
  return json ? (JSON.parse(json) as StationInfo) : undefined;
}

/** Keeps the newest details: a `station.updated` older than the stored one changes nothing. */
const SAVE_INFO = new Script(`
local stored = redis.call('HGET', KEYS[1], 'at')
if stored and tonumber(stored) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'at', ARGV[1])
return 1
`);

export async function saveStation(redis: RedisClient, info: StationInfo): Promise<void> {
  await SAVE_INFO.run(
    redis,
    [stationKeys.info(info.platformId, info.stationId)],
    [Date.parse(info.updatedAt), JSON.stringify(info)],
  );
}

/**
 * One member's presence at a station, and R6's once-per-station check, in one step.
 * KEYS: members set, versions hash, R6 flag. ARGV: subject, record version, present (1/0),
 * threshold (0 = this change may not fire R6), firing identity, task id.
 * A change from an older record version than the one stored is ignored, so a replayed old signal
 * cannot put back a member who has moved on. R6 fires when the set reaches the threshold and no
 * signal fired it before; the signal that fired it sees "fired" again on a retry, so it can finish
 * creating the task. Replies {fired (1/0), full members now}.
 */
const CHANGE = new Script(`
local stored = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '-1')
local version = tonumber(ARGV[2])
if version >= stored then
  redis.call('HSET', KEYS[2], ARGV[1], version)
  if ARGV[3] == '1' then redis.call('SADD', KEYS[1], ARGV[1]) else redis.call('SREM', KEYS[1], ARGV[1]) end
end
local count = redis.call('SCARD', KEYS[1])
local by = redis.call('HGET', KEYS[3], 'by')
if by then
  if by == ARGV[5] then return {1, tonumber(redis.call('HGET', KEYS[3], 'count'))} end
  return {0, count}
end
local threshold = tonumber(ARGV[4])
if ARGV[3] == '1' and threshold > 0 and count >= threshold and redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[3], 'by', ARGV[5], 'taskId', ARGV[6], 'count', count)
  return {1, count}
end
return {0, count}
`);

export interface StationOutcome {
  /** R6 fired for this change: its candidate task is to be created with `memberCount`. */
  fired: boolean;
  memberCount: number;
}

export async function applyStationChange(
  redis: RedisClient,
  platformId: string,
  subjectId: string,
  version: number,
  change: StationChange,
  firingIdentity: string,
): Promise<StationOutcome> {
  const { stationId } = change;
  const [fired, memberCount] = (await CHANGE.run(
    redis,
    [
      stationKeys.members(platformId, stationId),
      stationKeys.versions(platformId, stationId),
      stationKeys.established(platformId, stationId),
    ],
    [
      subjectId,
      version,
      change.present ? 1 : 0,
      change.candidate ? FULL_MEMBERS_FOR_GROUP : 0,
      firingIdentity,
      change.candidate?.id ?? "",
    ],
  )) as [number, number];
  return { fired: fired === 1 && change.candidate !== undefined, memberCount };
}
