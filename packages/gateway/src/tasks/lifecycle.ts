import { type Task, type TaskStatus, taskTransitions } from "@gigbridge/schemas";

/** What an organization can do to a task. */
export type TaskAction =
  | { type: "acknowledge" }
  | { type: "complete"; note: string }
  | { type: "cancel"; reason: string };

const targets = {
  acknowledge: "acknowledged",
  complete: "completed",
  cancel: "cancelled",
} as const satisfies Record<TaskAction["type"], TaskStatus>;

export class IllegalTransition {
  readonly from: TaskStatus;
  readonly to: TaskStatus;
  constructor(from: TaskStatus, to: TaskStatus) {
    this.from = from;
    this.to = to;
  }

  get message(): string {
    return `A task that is ${this.from} cannot become ${this.to}.`;
  }
}

export function targetStatus(action: TaskAction): TaskStatus {
  return targets[action.type];
}

/**
 * The task after an action, or why it cannot happen. open → acknowledged, completed or cancelled;
 * acknowledged → completed or cancelled; completed and cancelled are final. Doing the same action
 * twice is illegal too: the second acknowledge of a task is a conflict, not a no-op, so an
 * integrator learns that its view was stale.
 */
export function transition(task: Task, action: TaskAction, now: number): Task | IllegalTransition {
  const to = targetStatus(action);
  if (!taskTransitions[task.status].includes(to)) return new IllegalTransition(task.status, to);
  const at = new Date(now).toISOString();
  const next = { ...task, status: to, updatedAt: at } as Task;
  if (action.type === "acknowledge") next.acknowledgedAt = at;
  if (action.type === "complete") {
    next.completedAt = at;
    next.note = action.note;
  }
  if (action.type === "cancel") {
    next.cancelledAt = at;
    next.cancelReason = action.reason;
  }
  return next;
}
