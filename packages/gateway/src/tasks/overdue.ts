import type { Task } from "@gigbridge/schemas";
import { DelayedError, type Job, Worker } from "bullmq";
import type { Gateway } from "../core/context.js";
import { queues } from "../core/keys.js";
import { routingTableOf } from "../core/org-table.js";
import { onFinalFailure, recoveryOptions, type WorkerHandle, workerHandle } from "../core/worker-handle.js";
import { type EmitEvent, outbox, taskOverdue } from "./events.js";
import { taskMetrics } from "./metrics.js";
import { getTask, markOverdue } from "./store.js";

export interface OverdueJob {
  taskId: string;
}

const KEEP_DONE_SECONDS = 7 * 24 * 3600;

/**
 * Schedules the deadline check of an open task: one delayed job per task, its id the task id, so
 * scheduling it again while it waits adds nothing. A check that runs again anyway (the job was
 * removed, an operator replays it) finds the task marked and raises nothing new.
 */
export async function scheduleOverdue(gw: Gateway, task: Task): Promise<void> {
  await gw.queue("overdue").add("overdue", { taskId: task.id } satisfies OverdueJob, {
    jobId: task.id,
    delay: Math.max(0, Date.parse(task.deadline) - gw.now()),
    attempts: 8,
    backoff: { type: "exponential", delay: 1000 },
    removeOnComplete: { age: KEEP_DONE_SECONDS },
    removeOnFail: false,
  });
}

export type OverdueOutcome = "gone" | "not_open" | "not_due" | "raised";

/**
 * The deadline check: a task still open at its deadline is marked overdue once, and `task.overdue`
 * goes to its org and to the org's parent. The events are emitted whenever the task is marked (now
 * or by an earlier run that failed before emitting), and their ids make the outbox send each once.
 */
export async function checkOverdue(
  gw: Gateway,
  taskId: string,
  emit: EmitEvent = outbox(gw),
): Promise<OverdueOutcome> {
  const stored = await getTask(gw.redis, taskId);
  if (!stored) return "gone";
  const { task } = stored;
  if (task.status !== "open") return "not_open";
  const now = gw.now();
  if (now < Date.parse(task.deadline)) return "not_due";
  const mark = await markOverdue(gw.redis, task, now);
  if (mark === "not_open") return "not_open";
  const at = stored.overdueAt ?? now;
  const table = await routingTableOf(gw);
  const parent = table.byId.get(task.orgId)?.parent ?? null;
  await emit(taskOverdue(task, task.orgId, "owner", at));
  if (parent !== null) await emit(taskOverdue(task, parent, "parent", at));
  if (mark === "marked") {
    taskMetrics(gw).overdue.inc({ kind: task.kind });
    gw.logger.info({ taskId, orgId: task.orgId, kind: task.kind }, "task overdue");
  }
  return "raised";
}

export type OverdueWorker = WorkerHandle<Worker<OverdueJob>>;

/** Consumes `overdue`: BullMQ delayed jobs fire at each task's deadline; nothing polls. */
export function startOverdueWorker(
  gw: Gateway,
  options: { emit?: EmitEvent; concurrency?: number } = {},
): OverdueWorker {
  const { name, prefix } = queues.overdue;
  const emit = options.emit ?? outbox(gw);
  const connection = gw.workerConnection("gigbridge:worker:overdue");
  const worker = new Worker<OverdueJob>(
    name,
    async (job: Job<OverdueJob>, token?: string) => {
      const outcome = await checkOverdue(gw, job.data.taskId, emit);
      if (outcome === "not_due") {
        // The deadline moved later than the job's delay (a clock difference between processes): wait again.
        const stored = await getTask(gw.redis, job.data.taskId);
        if (stored) {
          await job.moveToDelayed(Date.parse(stored.task.deadline), token);
          throw new DelayedError();
        }
      }
      return outcome;
    },
    { connection, prefix, ...recoveryOptions(gw.config), concurrency: options.concurrency ?? 16 },
  );
  worker.on("error", (error) => gw.quietLog.error("overdue worker", error));
  onFinalFailure(
    worker,
    (job, error) => {
      gw.metrics.failures.inc({ queue: name, reason: "processing_error" });
      gw.logger.warn({ taskId: job.data.taskId, err: error }, "overdue check failed; kept for replay");
    },
    (failure) => gw.logger.warn({ err: failure }, "could not read a failed overdue check"),
  );
  return workerHandle(name, worker, connection);
}
