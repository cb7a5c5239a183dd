import type { Signal, SignalType, Task } from "@gigbridge/schemas";
import type { DeliveryJobData } from "../delivery/outbox.js";
import type { SignalJob } from "../ingest/intake.js";

/** What replaces free text written by or about an erased worker. */
export const ERASED = "[erased]";

/**
 * A `signals` job after its worker was erased: the signal's id, type and time stay (operators and
 * the signal's status still describe it), everything else is gone. Processing refuses it as
 * `erased`, so replaying it can neither recreate the record nor send anything.
 */
export interface ErasedSignalJob {
  platformId: string;
  receivedAt: number;
  signal: Pick<Signal, "id" | "type" | "occurredAt">;
  erased: { subjectId: string };
}

export function isErasedJob(job: SignalJob | ErasedSignalJob): job is ErasedSignalJob {
  return "erased" in job && job.erased !== undefined;
}

export function erasedSignalJob(job: SignalJob | ErasedSignalJob, subjectId: string): ErasedSignalJob {
  if (isErasedJob(job)) return job;
  const { id, type, occurredAt } = job.signal;
  return {
    platformId: job.platformId,
    receivedAt: job.receivedAt,
    signal: { id, type: type as SignalType, occurredAt },
    erased: { subjectId },
  };
}

/**
 * A task without the worker's personal data: the raw worker id and contact are removed, free text
 * (the appeal summary, the org's note and cancel reason) reads `[erased]`, and `erasedAt` marks it.
 * Everything an org counts by (kind, status, dates, region, station, subject) stays.
 */
export function erasedTask(task: Task, at: string): Task {
  if (task.erasedAt !== undefined) return task;
  const details = { ...task.details } as Record<string, unknown>;
  delete details.workerId;
  delete details.contact;
  if (typeof details.summary === "string") details.summary = ERASED;
  const out = { ...task, details, erasedAt: at } as Task;
  if (out.note !== undefined) out.note = ERASED;
  if (out.cancelReason !== undefined) out.cancelReason = ERASED;
  return out;
}

/** A webhook about the worker, to be sent (or replayed) without its personal data. */
export function erasedDelivery(data: DeliveryJobData, at: string): DeliveryJobData {
  const payload = data.data as { task?: Task } | null;
  if (!payload?.task) return data;
  return { ...data, data: { ...payload, task: erasedTask(payload.task, at) } };
}
