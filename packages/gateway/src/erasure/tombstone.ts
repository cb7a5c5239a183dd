import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import type { Decision } from "../rules/decision.js";
import { erasureKeys } from "./keys.js";

/**
 * Processing's side of erasure. A signal's job id joins the worker's index before anything is
 * decided, in the same script that reads the tombstone: either the erasure finds the job through
 * the index, or the signal finds the tombstone. KEYS: tombstone, signals index. ARGV: job id.
 * Replies 1 to go on, 0 when the worker was erased.
 */
const ENTER = new Script(`
redis.call('SADD', KEYS[2], ARGV[1])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
return 1
`);

/** False when the worker was erased: the signal must be refused. */
export async function enterSignal(redis: RedisClient, subjectId: string, jobId: string): Promise<boolean> {
  const reply = await ENTER.run(
    redis,
    [erasureKeys.tombstone(subjectId), erasureKeys.signals(subjectId)],
    [jobId],
  );
  return reply === 1;
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
  const multi = redis.multi();
  if (tasks.length > 0) multi.sadd(erasureKeys.tasks(subjectId), ...tasks);
  if (stations.length > 0) multi.sadd(erasureKeys.stations(subjectId), ...stations);
  await multi.exec();
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
