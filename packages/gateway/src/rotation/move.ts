import type { Gateway } from "../core/context.js";
import { subjectIdOf } from "../core/master-key.js";
import { Script } from "../core/script.js";
import { seal, WORKER_ID_PURPOSE } from "../core/seal.js";
import { erasureKeys } from "../erasure/keys.js";
import { stationKeys, workerKeys } from "../processing/keys.js";
import type { WorkerRecord } from "../rules/decision.js";

/**
 * Moving a worker's data from the subject id an old master key derived (S) to the one the current
 * key derives (T). S and T have different hash tags, so the move is a sequence of steps, each
 * idempotent, that a crash at any point and a rerun (or a concurrent signal) brings to the end:
 * read S; write T only if T has no record yet (marking it `from` S); move station membership;
 * delete S and leave a `moved` marker at S (for the decisions and tasks that still name S).
 * A T that exists without coming from S was made by a process that did not know the old key:
 * then S is left alone (nothing is lost) and the move reports a conflict.
 */

/** String: the subject id S moved to; kept as long as decisions and tasks may still name S. */
export const movedKey = (subjectId: string) => `gb:{w:${subjectId}}:moved`;

const subjectKeys = (subjectId: string) => [
  workerKeys.record(subjectId),
  workerKeys.ledger(subjectId),
  workerKeys.ledgerOrder(subjectId),
  workerKeys.balance(subjectId),
];

// KEYS: record, ledger, ledger order, balance. Returns {record fields, ledger fields, order with scores, balance, record PTTL}.
const READ = new Script(`
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('HGETALL', KEYS[2]),
  redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES'),
  redis.call('GET', KEYS[4]) or '',
  redis.call('PTTL', KEYS[1])
}
`);

// KEYS: record, ledger, ledger order, balance (of T). ARGV: json, v, wid, ttl ms (0 = none), balance
// ('' = none), S, then (activity id, entry json, order score) triples. Writes nothing if T has a
// record: replies 1 written, 0 copied from S before, -1 T was made otherwise (a conflict).
const WRITE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('HGET', KEYS[1], 'from') == ARGV[6] then return 0 end
  return -1
end
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'v', ARGV[2], 'from', ARGV[6])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'wid', ARGV[3]) end
for i = 7, #ARGV, 3 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  redis.call('ZADD', KEYS[3], ARGV[i + 2], ARGV[i])
end
if ARGV[5] ~= '' then redis.call('SET', KEYS[4], ARGV[5]) end
if tonumber(ARGV[4]) > 0 then
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[4]) end
end
return 1
`);

// KEYS: members, versions (of the station). ARGV: S, T. Moves S's presence and version to T.
const STATION = new Script(`
if redis.call('SREM', KEYS[1], ARGV[1]) == 1 then redis.call('SADD', KEYS[1], ARGV[2]) end
local v = redis.call('HGET', KEYS[2], ARGV[1])
if v then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('HSETNX', KEYS[2], ARGV[2], v)
end
return 1
`);

// KEYS: record, ledger, ledger order, balance, moved marker (of S). ARGV: T, marker lifetime ms.
const RETIRE = new Script(`
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])
redis.call('SET', KEYS[5], ARGV[1], 'PX', ARGV[2])
return 1
`);

/** Every occurrence of one subject id in a JSON text replaced by another (ids are unambiguous tokens). */
export function renamed(json: string, from: string, to: string): string {
  return json.split(from).join(to);
}

function pairs(flat: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(flat[i] as string, flat[i + 1] as string);
  return map;
}

/** How long a `moved` marker and moved decisions are kept: as long as decisions live. */
function markerLifetime(gw: Gateway): number {
  return Math.max(gw.config.retention.decisions ?? gw.config.ingest.idempotencyWindow, 24 * 3_600_000);
}

/**
 * Moves the record, ledger and station membership of worker `workerId` from subject `from` to
 * subject `to`, sealing the worker id under the current key. `none` when `from` has no record
 * (nothing to move, or moved already); `conflict` when `to` was made without it (see above).
 */
export async function moveSubject(
  gw: Gateway,
  workerId: string,
  from: string,
  to: string,
): Promise<"moved" | "none" | "conflict"> {
  const [recordFlat, ledgerFlat, orderFlat, balance, ttl] = (await READ.run(
    gw.redis,
    subjectKeys(from),
    [],
  )) as [string[], string[], string[], string, number];
  const record = pairs(recordFlat);
  const json = record.get("json");
  if (json === undefined) return "none";
  const moved = renamed(json, from, to);
  const parsed = JSON.parse(moved) as WorkerRecord;
  const ledger = pairs(ledgerFlat);
  const entries: string[] = [];
  for (let i = 0; i + 1 < orderFlat.length; i += 2) {
    const activityId = orderFlat[i] as string;
    const entry = ledger.get(activityId);
    if (entry !== undefined) entries.push(activityId, renamed(entry, from, to), orderFlat[i + 1] as string);
  }
  const written = Number(
    await WRITE.run(gw.redis, subjectKeys(to), [
      moved,
      record.get("v") ?? "0",
      seal(gw.masterKey, WORKER_ID_PURPOSE, workerId, parsed.platformId),
      Math.max(ttl, 0),
      balance,
      from,
      ...entries,
    ]),
  );
  if (written === -1) {
    gw.logger.warn(
      { platformId: parsed.platformId },
      "master-key rotation: a worker has records under its old and new subject ids; the old one is kept",
    );
    return "conflict";
  }
  if (parsed.stationId) {
    await STATION.run(
      gw.redis,
      [
        stationKeys.members(parsed.platformId, parsed.stationId),
        stationKeys.versions(parsed.platformId, parsed.stationId),
      ],
      [from, to],
    );
  }
  // Erasure's indexes name everything the worker's data touched: they move with it, so an erasure
  // asked for under the new subject still finds the signals, tasks, messages and stations of the old one.
  for (const index of [erasureKeys.signals, erasureKeys.tasks, erasureKeys.messages, erasureKeys.stations]) {
    const members = await gw.redis.smembers(index(from));
    if (members.length > 0) await gw.redis.sadd(index(to), ...members);
    await gw.redis.del(index(from));
  }
  await RETIRE.run(gw.redis, [...subjectKeys(from), movedKey(from)], [to, markerLifetime(gw)]);
  return "moved";
}

// KEYS: decision of S, decision of T. ARGV: S, T. Copies the memo (with its lifetime) unless T has one, then deletes S's.
const MOVE_DECISION_READ = new Script(`
return {redis.call('HGETALL', KEYS[1]), redis.call('PTTL', KEYS[1])}
`);
const MOVE_DECISION_WRITE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'json', ARGV[1], 'v', ARGV[2])
  if tonumber(ARGV[3]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
end
return 1
`);

/** Moves the decision stored for one signal from subject `from` to `to`; false when there is none. */
export async function moveDecision(
  gw: Gateway,
  signalId: string,
  from: string,
  to: string,
): Promise<boolean> {
  const source = workerKeys.decision(from, signalId);
  const [flat, ttl] = (await MOVE_DECISION_READ.run(gw.redis, [source], [])) as [string[], number];
  const memo = pairs(flat);
  const json = memo.get("json");
  if (json === undefined) return false;
  await MOVE_DECISION_WRITE.run(
    gw.redis,
    [workerKeys.decision(to, signalId)],
    [renamed(json, from, to), memo.get("v") ?? "0", Math.max(ttl, 0)],
  );
  await gw.redis.del(source);
  return true;
}

/**
 * Before a signal is processed during a rotation: if the worker's record is still under a subject
 * id a previous key derived, move it (and this signal's decision, for a retry) to the current one.
 */
export async function adoptFromPreviousKeys(
  gw: Gateway,
  platformId: string,
  workerId: string,
  subjectId: string,
  signalId: string,
): Promise<void> {
  for (const previous of gw.previousMasterKeys) {
    const old = subjectIdOf(previous.key, platformId, workerId);
    if (old === subjectId) continue;
    await moveSubject(gw, workerId, old, subjectId);
    await moveDecision(gw, signalId, old, subjectId);
  }
}
