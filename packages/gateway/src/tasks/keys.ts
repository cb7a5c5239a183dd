import type { TaskKind, TaskStatus } from "@gigbridge/schemas";

function org(orgId: string): string {
  return `gb:{o:${orgId}}`;
}

/**
 * Redis keys of the task store. A task lives under its org's hash tag with the org's indexes, so
 * creating it or moving it between states updates the hash and every index in one script.
 * Indexes are sorted sets of task ids scored by when the task entered the index (Redis TIME, in µs,
 * so a task stored late never lands before a page already read): all of the org's tasks, and
 * by status, by kind, and by both, so every filter of `GET /v1/tasks` reads one index per org.
 */
export const taskKeys = {
  /** Hash: `json` (the Task), `status`, `kind`, `createdAt` (ms), `overdueAt` (ms, once overdue). */
  task: (orgId: string, taskId: string) => `${org(orgId)}:task:${taskId}`,
  index: (orgId: string, filter: { status?: TaskStatus | undefined; kind?: TaskKind | undefined } = {}) =>
    `${org(orgId)}:tasks${filter.status ? `:s:${filter.status}` : ""}${filter.kind ? `:k:${filter.kind}` : ""}`,
  /** String: the org a task id belongs to, claimed once so a task id can never exist under two orgs. */
  owner: (taskId: string) => `gb:task-owner:${taskId}`,
} as const;

/** The four indexes a task with this status and kind is in. */
export function indexesOf(orgId: string, status: TaskStatus, kind: TaskKind): string[] {
  return [
    taskKeys.index(orgId),
    taskKeys.index(orgId, { status }),
    taskKeys.index(orgId, { kind }),
    taskKeys.index(orgId, { status, kind }),
  ];
}
