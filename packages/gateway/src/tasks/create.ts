import type { Task } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import { type EmitEvent, taskCreated } from "./events.js";
import { taskMetrics } from "./metrics.js";
import { scheduleOverdue } from "./overdue.js";
import { createTask, type StoredTask } from "./store.js";

/**
 * Creates a task once and makes sure what follows creation happened: its deadline check is
 * scheduled and `task.created` is in the outbox. Running it again for the same task (a retry after
 * a crash between these steps, a replay) repeats only the parts that are idempotent.
 */
export async function ensureTask(gw: Gateway, draft: Task, emit: EmitEvent): Promise<StoredTask> {
  const stored = await createTask(gw.redis, draft);
  const { task } = stored;
  if (stored.created) taskMetrics(gw).created.inc({ kind: task.kind });
  if (task.status === "open") {
    if (stored.overdueAt === null) await scheduleOverdue(gw, task);
    await emit(taskCreated(task));
  }
  return stored;
}
