import type { Task, TaskStatus } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import type { TraceContext } from "../core/tracing.js";
import { enqueueEvent, type OutboundEvent } from "../delivery/outbox.js";
import { eventId } from "../rules/ids.js";

/**
 * Hands an event to the delivery outbox. Event ids are derived from what makes each event unique,
 * so emitting the same event again (a retried job, a replayed signal) sends nothing twice.
 */
export type EmitEvent = (event: OutboundEvent) => Promise<unknown>;

/** The delivery outbox; `trace` (what caused the events) goes with each webhook as `traceparent`. */
export function outbox(gw: Gateway, trace?: TraceContext): EmitEvent {
  return (event) => enqueueEvent(gw, event, trace);
}

export function taskCreated(task: Task): OutboundEvent<"task.created"> {
  return {
    eventId: eventId("task.created", task.id),
    orgId: task.orgId,
    type: "task.created",
    data: { task },
    timestamp: task.createdAt,
  };
}

/** A task reaches each status at most once, so (task, status) names the update. */
export function taskUpdated(task: Task, previousStatus: TaskStatus): OutboundEvent<"task.updated"> {
  return {
    eventId: eventId("task.updated", task.id, task.status),
    orgId: task.orgId,
    type: "task.updated",
    data: { task, previousStatus },
    timestamp: task.updatedAt,
  };
}

export function taskOverdue(
  task: Task,
  orgId: string,
  audience: "owner" | "parent",
  at: number,
): OutboundEvent<"task.overdue"> {
  return {
    eventId: eventId("task.overdue", task.id, audience),
    orgId,
    type: "task.overdue",
    data: { task, overdueSince: task.deadline, audience },
    timestamp: new Date(at).toISOString(),
  };
}
