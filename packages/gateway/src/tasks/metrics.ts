import { taskKinds } from "@gigbridge/schemas";
import { Counter } from "prom-client";
import type { Gateway } from "../core/context.js";

export interface TaskMetrics {
  created: Counter<"kind">;
  transitions: Counter<"kind" | "status">;
  overdue: Counter<"kind">;
}

const byGateway = new WeakMap<Gateway, TaskMetrics>();

/** The task stage's metrics, registered once per gateway on its registry. */
export function taskMetrics(gw: Gateway): TaskMetrics {
  let metrics = byGateway.get(gw);
  if (!metrics) {
    const registers = [gw.metrics.registry];
    metrics = {
      created: new Counter({
        name: "gigbridge_tasks_created_total",
        help: "Tasks created, by kind",
        labelNames: ["kind"] as const,
        registers,
      }),
      transitions: new Counter({
        name: "gigbridge_task_transitions_total",
        help: "Task status changes made by organizations, by kind and new status",
        labelNames: ["kind", "status"] as const,
        registers,
      }),
      overdue: new Counter({
        name: "gigbridge_tasks_overdue_total",
        help: "Tasks found not acknowledged by their deadline, by kind",
        labelNames: ["kind"] as const,
        registers,
      }),
    };
    // Every kind from 0, so dashboards show each kind and `increase()` sees the first task of one.
    for (const kind of taskKinds) {
      metrics.created.inc({ kind }, 0);
      metrics.overdue.inc({ kind }, 0);
      metrics.transitions.inc({ kind, status: "completed" }, 0);
    }
    byGateway.set(gw, metrics);
  }
  return metrics;
}
