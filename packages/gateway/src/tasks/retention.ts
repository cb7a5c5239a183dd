import { type TaskKind, taskKinds } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import { Script } from "../core/script.js";
import type { BackgroundWorker } from "../core/worker-handle.js";
import { indexesOf, taskKeys } from "./keys.js";

/** The statuses a task never leaves: only these are ever removed. */
const FINISHED = ["completed", "cancelled"] as const;
/** Tasks removed per script call. */
const BATCH = 200;

/**
 * Removes finished tasks of one org and status. KEYS: the task hashes, then the org's indexes
 * (`tasks`, `tasks:s:<status>`, and per kind `tasks:k:<kind>`, `tasks:s:<status>:k:<kind>`).
 * ARGV: the status, then the task ids (same order as the hashes). A task is removed only while
 * its hash still says that status, so nothing open is ever touched.
 */
const SWEEP = new Script(`
local n = #ARGV - 1
local removed = 0
for i = 1, n do
  local id = ARGV[i + 1]
  local status = redis.call('HGET', KEYS[i], 'status')
  if status == ARGV[1] or status == false then
    redis.call('DEL', KEYS[i])
    for j = n + 1, #KEYS do redis.call('ZREM', KEYS[j], id) end
    removed = removed + 1
  end
end
return removed
`);

/**
 * Removes completed and cancelled tasks that finished more than `retention.tasks` ago, with
 * their index entries and owner claims. The `tasks:s:<status>` indexes are scored by the Redis
 * time (µs) the task entered that status, so they list finished tasks by finishing time.
 * Returns how many tasks were removed.
 */
export async function sweepFinishedTasks(gw: Gateway): Promise<number> {
  const cutoffMicros = (gw.now() - gw.config.retention.tasks) * 1000;
  let removed = 0;
  for (const org of await gw.orgs.list()) {
    for (const status of FINISHED) {
      const byStatus = taskKeys.index(org.id, { status });
      for (;;) {
        const ids = await gw.redis.zrangebyscore(byStatus, "-inf", `(${cutoffMicros}`, "LIMIT", 0, BATCH);
        if (ids.length === 0) break;
        // Owner claims first: a crash after this leaves the hashes, which the next sweep removes.
        await Promise.all(ids.map((id) => gw.redis.unlink(taskKeys.owner(id))));
        const indexes = [...new Set(taskKinds.flatMap((kind: TaskKind) => indexesOf(org.id, status, kind)))];
        removed += Number(
          await SWEEP.run(
            gw.redis,
            [...ids.map((id) => taskKeys.task(org.id, id)), ...indexes],
            [status, ...ids],
          ),
        );
        if (ids.length < BATCH) break;
      }
    }
  }
  return removed;
}

/**
 * Runs {@link sweepFinishedTasks} every `retention.sweepEvery` in a `work` process. Several
 * processes take turns through a lock, so one sweep runs at a time.
 */
export function startRetentionSweeper(gw: Gateway): BackgroundWorker {
  const every = gw.config.retention.sweepEvery;
  let running: Promise<void> | undefined;
  let stopped = false;
  const run = async () => {
    const locked = await gw.redis.set(RETENTION_LOCK, String(process.pid), "PX", every, "NX");
    if (locked !== "OK") return;
    const removed = await sweepFinishedTasks(gw);
    if (removed > 0) gw.logger.info({ removed }, "finished tasks past retention removed");
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = run()
      .catch((error: unknown) => gw.logger.warn({ err: error }, "retention sweep failed; next time again"))
      .finally(() => {
        running = undefined;
      });
  }, every);
  timer.unref();
  return {
    name: "retention",
    ready: () => !stopped,
    async close() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
    // A sweep in progress holds no lock worth waiting for: stop scheduling and let it end on its own.
    forceClose() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Held by the process sweeping now, for one interval. */
export const RETENTION_LOCK = "gb:retention:lock";
