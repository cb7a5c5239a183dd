import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import { workerKeys } from "../processing/keys.js";
import type { TakenDecision } from "../processing/records.js";
import type { Decision } from "../rules/decision.js";
import { erasureKeys } from "./keys.js";

/**
 * Processing's side of erasure. A signal's job id joins the worker's index before anything is
 * decided, in the same script that reads the tombstone: either the erasure finds the job through
 * the index, or the signal finds the tombstone. The script also reads the decision memo, which
 * processing reads first anyway, so entering costs no extra round trip.
 * KEYS: tombstone, signals index, decision memo. ARGV: job id.
 * Replies {0} when the worker was erased, {1} to go on, {1, json, version} with the memo.
 */
const ENTER = new Script(`
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local memo = redis.call('HMGET', KEYS[3], 'json', 'v')
if memo[1] then return {1, memo[1], memo[2]} end
return {1}
`);

export type Entered = { erased: true } | { erased: false; taken: TakenDecision | null };

/** Whether the worker was erased (the signal must be refused), else the decision taken for the signal before, if any. */
export async function enterSignal(
  redis: RedisClient,
  subjectId: string,
  signalId: string,
  jobId: string,
): Promise<Entered> {
  const reply = (await ENTER.run(
    redis,
    [
      erasureKeys.tombstone(subjectId),
      erasureKeys.signals(subjectId),
      workerKeys.decision(subjectId, signalId),
    ],
    [jobId],
  )) as [number, string?, string?];
  if (reply[0] === 0) return { erased: true };
  if (reply[1] === undefined) return { erased: false, taken: null };
  return {
    erased: false,
    taken: { decision: JSON.parse(reply[1]) as Decision, version: Number(reply[2] ?? 0) },
  };
}

export async function isErased(redis: RedisClient, subjectId: string): Promise<boolean> {
  return (await redis.exists(erasureKeys.tombstone(subjectId))) === 1;
}

/** Notes the tasks and stations a decision is about to write, before they are written. */
export async function indexDecision(
  redis: RedisClient,
  platformId: string,
  subjectId: string,
  decision: Decision,
): Promise<void> {
  const tasks = decision.tasks.filter((t) => t.subjectId === subjectId).map((t) => t.id);
  const stations = decision.stations.map((s) => `${platformId}/${s.stationId}`);
  if (tasks.length === 0 && stations.length === 0) return;
  // One command in the usual case (tasks, or a station change, not both).
  if (stations.length === 0) await redis.sadd(erasureKeys.tasks(subjectId), ...tasks);
  else if (tasks.length === 0) await redis.sadd(erasureKeys.stations(subjectId), ...stations);
  else
    await redis
      .multi()
      .sadd(erasureKeys.tasks(subjectId), ...tasks)
      .sadd(erasureKeys.stations(subjectId), ...stations)
      .exec();
}

/** Notes webhooks about a worker as they are queued, so erasure finds their jobs and attempt logs. */
export async function indexMessages(
  redis: RedisClient,
  subjectId: string,
  messages: { orgId: string; endpointId: string; msgId: string }[],
): Promise<void> {
  if (messages.length === 0) return;
  await redis.sadd(
    erasureKeys.messages(subjectId),
    ...messages.map((m) => `${m.orgId}|${m.endpointId}|${m.msgId}`),
  );
}
