import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import { erasureKeys } from "../erasure/keys.js";
import type { Decision, WorkerRecord } from "../rules/decision.js";
import { workerKeys } from "./keys.js";

export interface StoredRecord {
  record: WorkerRecord | null;
  /** 0 when there is no record yet. */
  version: number;
}

export async function loadRecord(redis: RedisClient, subjectId: string): Promise<StoredRecord> {
  const [json, v] = await redis.hmget(workerKeys.record(subjectId), "json", "v");
  return { record: json ? (JSON.parse(json) as WorkerRecord) : null, version: Number(v ?? 0) };
}

/** A decision taken earlier for the same signal, with the record version it produced. */
export interface TakenDecision {
  decision: Decision;
  version: number;
}

export async function takenDecision(
  redis: RedisClient,
  subjectId: string,
  signalId: string,
): Promise<TakenDecision | null> {
  const [json, v] = await redis.hmget(workerKeys.decision(subjectId, signalId), "json", "v");
  return json ? { decision: JSON.parse(json) as Decision, version: Number(v ?? 0) } : null;
}

/**
 * Compare-and-set of the worker record, together with the memo of the decision that produced it.
 * KEYS: record, decision memo, erasure tombstone, then the ledger's keys. ARGV: expected version,
 * new record JSON ('' = unchanged), decision JSON, memo lifetime ms, record lifetime ms (0 = for
 * good; set on the record and ledger whenever the record is written, so onboarding again keeps
 * them), the worker id sealed under the current master key (field `wid`: what a master-key rotation
 * re-derives the subject id from). Replies {1, version} when written, {2, version, json} when the
 * signal was decided before (the memo wins), {0, version} when the record changed since it was
 * read, {3} when the worker was erased (final: nothing is written, ever).
 *
 * The rules merged the signal's facts into the record at the expected version (newest
 * `occurredAt` wins, `mergeSignal`); the version check makes that merge part of this one atomic
 * step, so two processes can never interleave and let an older fact overwrite a newer one. The
 * erasure check comes first, under the same `{w:<subject>}` tag.
 */
const COMMIT = new Script(`
if redis.call('EXISTS', KEYS[3]) == 1 then return {3} end
local memo = redis.call('HMGET', KEYS[2], 'json', 'v')
if memo[1] then return {2, tonumber(memo[2]), memo[1]} end
local v = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if v ~= tonumber(ARGV[1]) then return {0, v} end
if ARGV[2] ~= '' then
  v = v + 1
  redis.call('HSET', KEYS[1], 'json', ARGV[2], 'v', v)
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'wid', ARGV[6]) end
  for i = 4, #KEYS do
    if ARGV[5] == '0' then redis.call('PERSIST', KEYS[i]) else redis.call('PEXPIRE', KEYS[i], ARGV[5]) end
  end
  if ARGV[5] == '0' then redis.call('PERSIST', KEYS[1]) else redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
end
redis.call('HSET', KEYS[2], 'json', ARGV[3], 'v', v)
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {1, v}
`);

export type CommitResult =
  | { outcome: "written"; version: number }
  | { outcome: "decided_before"; decision: Decision; version: number }
  | { outcome: "conflict" }
  | { outcome: "erased" };

/**
 * Stores the record a decision leads to and remembers the decision for the signal, atomically.
 * The memo is what makes a retry or replay of the signal yield the same tasks and events even
 * after later signals changed the record.
 */
export async function commitDecision(
  redis: RedisClient,
  subjectId: string,
  signalId: string,
  expectedVersion: number,
  decision: Decision,
  lifetimes: { decisionMs: number; offboardedRecordMs: number },
  sealedWorkerId = "",
): Promise<CommitResult> {
  const reply = (await COMMIT.run(
    redis,
    [
      workerKeys.record(subjectId),
      workerKeys.decision(subjectId, signalId),
      erasureKeys.tombstone(subjectId),
      workerKeys.ledger(subjectId),
      workerKeys.ledgerOrder(subjectId),
      workerKeys.balance(subjectId),
    ],
    [
      expectedVersion,
      decision.record ? JSON.stringify(decision.record) : "",
      JSON.stringify(decision),
      lifetimes.decisionMs,
      // An offboarded worker's record is kept only as long as late signals and follow-up need it.
      decision.record && !decision.record.active ? lifetimes.offboardedRecordMs : 0,
      sealedWorkerId,
    ],
  )) as [number, number, string?];
  if (reply[0] === 0) return { outcome: "conflict" };
  if (reply[0] === 3) return { outcome: "erased" };
  if (reply[0] === 2)
    return {
      outcome: "decided_before",
      decision: JSON.parse(reply[2] ?? "{}") as Decision,
      version: reply[1],
    };
  return { outcome: "written", version: reply[1] };
}
