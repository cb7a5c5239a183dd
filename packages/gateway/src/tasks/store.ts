import type { Task, TaskKind, TaskStatus } from "@gigbridge/schemas";
import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import { indexesOf, taskKeys } from "./keys.js";
import { IllegalTransition, type TaskAction, targetStatus, transition } from "./lifecycle.js";

/** A task as stored, with the time it was found overdue (ms), if it was. */
export interface StoredTask {
  task: Task;
  overdueAt: number | null;
}

/**
 * Create-if-absent. KEYS: task hash, then its four indexes. ARGV: task JSON, status, kind,
 * createdAt (ms), task id. Replies {1} when created, {0, json, overdueAt} when it existed.
 *
 * Index scores are the moment (Redis time, µs) the task entered the index, not its decision
 * time: tasks decided earlier can be stored later (retries, concurrent workers), and a reader
 * paging with a cursor must still find them after the cursor.
 */
const CREATE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  local s = redis.call('HMGET', KEYS[1], 'json', 'overdueAt')
  return {0, s[1], s[2]}
end
local t = redis.call('TIME')
local position = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('HSET', KEYS[1], 'json', ARGV[1], 'status', ARGV[2], 'kind', ARGV[3], 'createdAt', ARGV[4])
for i = 2, #KEYS do redis.call('ZADD', KEYS[i], position, ARGV[5]) end
return {1}
`);

/**
 * Creates a task unless a task with its id exists, and answers the stored one. The id is claimed
 * for an org first, so a task replayed after the org tree changed stays with the org that has it.
 */
export async function createTask(
  redis: RedisClient,
  draft: Task,
): Promise<StoredTask & { created: boolean }> {
  const claimed = await redis.set(taskKeys.owner(draft.id), draft.orgId, "NX");
  const owner = claimed === "OK" ? draft.orgId : ((await redis.get(taskKeys.owner(draft.id))) ?? draft.orgId);
  const task = owner === draft.orgId ? draft : ({ ...draft, orgId: owner } as Task);
  const reply = (await CREATE.run(
    redis,
    [taskKeys.task(owner, task.id), ...indexesOf(owner, task.status, task.kind)],
    [JSON.stringify(task), task.status, task.kind, Date.parse(task.createdAt), task.id],
  )) as [number, string?, string?];
  if (reply[0] === 1) return { task, overdueAt: null, created: true };
  return { task: JSON.parse(reply[1] ?? "null") as Task, overdueAt: toMs(reply[2]), created: false };
}

export async function getTask(redis: RedisClient, taskId: string): Promise<StoredTask | null> {
  const owner = await redis.get(taskKeys.owner(taskId));
  if (!owner) return null;
  const [json, overdueAt] = await redis.hmget(taskKeys.task(owner, taskId), "json", "overdueAt");
  return json ? { task: parseTask(json, overdueAt), overdueAt: toMs(overdueAt) } : null;
}

/**
 * Compare-and-set of a task's status. KEYS: task, from-status index, from-status-and-kind index,
 * to-status index, to-status-and-kind index. ARGV: expected status, new status, new JSON, task id.
 * Replies {1} when changed, {0, current status} when someone changed it first. A task whose
 * worker was erased since it was read counts as changed too, so the new JSON is built again from
 * the erased task and the worker's data cannot come back.
 */
const TRANSITION = new Script(`
local s = redis.call('HMGET', KEYS[1], 'status', 'json')
if not s[1] then return {0, ''} end
if s[1] ~= ARGV[1] then return {0, s[1]} end
if string.find(s[2], '"erasedAt"', 1, true) and not string.find(ARGV[3], '"erasedAt"', 1, true) then return {0, s[1]} end
redis.call('HSET', KEYS[1], 'json', ARGV[3], 'status', ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[4])
-- A task enters the new status's indexes now, so readers paging that status find it after their cursor.
local t = redis.call('TIME')
local position = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[4], position, ARGV[4])
redis.call('ZADD', KEYS[5], position, ARGV[4])
return {1}
`);

export type ChangeOutcome =
  | { outcome: "changed"; task: Task; previousStatus: TaskStatus }
  | { outcome: "illegal"; task: Task; illegal: IllegalTransition }
  | { outcome: "not_found" };

/** Applies an organization's action to a task; a concurrent change is re-read and judged again. */
export async function changeTask(
  redis: RedisClient,
  taskId: string,
  action: TaskAction,
  now: number,
): Promise<ChangeOutcome> {
  for (;;) {
    const stored = await getTask(redis, taskId);
    if (!stored) return { outcome: "not_found" };
    const { task } = stored;
    const next = transition(task, action, now);
    if (next instanceof IllegalTransition) return { outcome: "illegal", task, illegal: next };
    const to = targetStatus(action);
    const reply = (await TRANSITION.run(
      redis,
      [
        taskKeys.task(task.orgId, task.id),
        taskKeys.index(task.orgId, { status: task.status }),
        taskKeys.index(task.orgId, { status: task.status, kind: task.kind }),
        taskKeys.index(task.orgId, { status: to }),
        taskKeys.index(task.orgId, { status: to, kind: task.kind }),
      ],
      [task.status, to, JSON.stringify(next), task.id],
    )) as [number, string?];
    if (reply[0] === 1) return { outcome: "changed", task: next, previousStatus: task.status };
  }
}

/**
 * Marks an open task overdue once. KEYS: task. ARGV: now (ms).
 * Replies {0} when the task is gone or no longer open, {1, at} when it was marked before, {2, at} now.
 */
const MARK_OVERDUE = new Script(`
local s = redis.call('HMGET', KEYS[1], 'status', 'overdueAt')
if s[1] ~= 'open' then return {0} end
if s[2] then return {1, tonumber(s[2])} end
redis.call('HSET', KEYS[1], 'overdueAt', ARGV[1])
return {2, tonumber(ARGV[1])}
`);

export type OverdueMark = "not_open" | "marked_before" | "marked";

export async function markOverdue(redis: RedisClient, task: Task, now: number): Promise<OverdueMark> {
  const [code] = (await MARK_OVERDUE.run(redis, [taskKeys.task(task.orgId, task.id)], [now])) as [number];
  return code === 0 ? "not_open" : code === 1 ? "marked_before" : "marked";
}

export interface TaskFilter {
  status?: TaskStatus | undefined;
  kind?: TaskKind | undefined;
}

/** Where a page ends: when the last task entered the index (Redis time, µs) and its id. */
export interface TaskCursor {
  position: number;
  id: string;
}

export interface TaskPage {
  items: Task[];
  next: TaskCursor | null;
}

/**
 * A page of the tasks of several orgs, in the order they entered the index, after `after`. Each org's index for the
 * filter is read from the cursor on, and the pages are merged by (position, id).
 */
export async function listTasks(
  redis: RedisClient,
  orgIds: readonly string[],
  filter: TaskFilter,
  after: TaskCursor | null,
  limit: number,
): Promise<TaskPage> {
  const perOrg = await Promise.all(
    orgIds.map(async (orgId) =>
      (await readIndex(redis, taskKeys.index(orgId, filter), after, limit + 1)).map((e) => ({ ...e, orgId })),
    ),
  );
  const merged = perOrg
    .flat()
    .sort((a, b) => a.position - b.position || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const page = merged.slice(0, limit);
  const rows = await Promise.all(
    page.map((e) => redis.hmget(taskKeys.task(e.orgId, e.id), "json", "overdueAt")),
  );
  const items = rows.flatMap(([json, overdueAt]) => (json ? [parseTask(json, overdueAt)] : []));
  const last = page[page.length - 1];
  return { items, next: merged.length > limit && last ? { position: last.position, id: last.id } : null };
}

/** Up to `count` entries of one index strictly after the cursor (ties at one score ordered by id, as Redis does). */
async function readIndex(redis: RedisClient, key: string, after: TaskCursor | null, count: number) {
  const out: TaskCursor[] = [];
  const min = after ? String(after.position) : "-inf";
  for (let offset = 0; out.length < count; offset += count) {
    const batch = await redis.zrange(key, min, "+inf", "BYSCORE", "LIMIT", offset, count, "WITHSCORES");
    for (let i = 0; i < batch.length; i += 2) {
      const entry = { id: batch[i]!, position: Number(batch[i + 1]) };
      if (after && entry.position === after.position && entry.id <= after.id) continue;
      if (out.length < count) out.push(entry);
    }
    if (batch.length < count * 2) break;
  }
  return out;
}

/** The stored task document, with the time it was found overdue (kept in its own field) when it was. */
function parseTask(json: string, overdueAt: string | null | undefined): Task {
  const task = JSON.parse(json) as Task;
  const at = toMs(overdueAt);
  return at === null ? task : { ...task, overdueAt: new Date(at).toISOString() };
}

function toMs(value: string | null | undefined): number | null {
  return value === null || value === undefined ? null : Number(value);
}
