import { type Task, type TaskStatus, taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import { IllegalTransition, type TaskAction, transition } from "./lifecycle.js";

const task: Task = taskSchema.parse({
  id: "tsk_1",
  kind: "follow_up_appeal",
  status: "open",
  orgId: "street-a",
  platformId: "platform-a",
  signalId: "sig_1",
  rule: "R5",
  deadline: "2024-06-11T00:00:00.000Z",
  createdAt: "2024-06-10T00:00:00.000Z",
  updatedAt: "2024-06-10T00:00:00.000Z",
  details: { category: "wages", urgency: "urgent", summary: "示例" },
});
const NOW = Date.UTC(2024, 5, 10, 12);
const at = new Date(NOW).toISOString();

const acknowledge: TaskAction = { type: "acknowledge" };
const complete: TaskAction = { type: "complete", note: "已办结" };
const cancel: TaskAction = { type: "cancel", reason: "重复" };

describe("transition", () => {
  it.each<[TaskStatus, TaskAction, TaskStatus | null]>([
    ["open", acknowledge, "acknowledged"],
    ["open", complete, "completed"],
    ["open", cancel, "cancelled"],
    ["acknowledged", acknowledge, null],
    ["acknowledged", complete, "completed"],
    ["acknowledged", cancel, "cancelled"],
    ["completed", acknowledge, null],
    ["completed", complete, null],
    ["completed", cancel, null],
    ["cancelled", acknowledge, null],
    ["cancelled", complete, null],
    ["cancelled", cancel, null],
  ])("%s + %o → %s", (from, action, to) => {
    const result = transition({ ...task, status: from }, action, NOW);
    if (to === null) {
      expect(result).toBeInstanceOf(IllegalTransition);
      expect((result as IllegalTransition).message).toContain(`${from} cannot become`);
      return;
    }
    expect(result).not.toBeInstanceOf(IllegalTransition);
    const next = taskSchema.parse(result);
    expect(next.status).toBe(to);
    expect(next.updatedAt).toBe(at);
  });

  it("stamps the time and keeps the note or the reason", () => {
    expect(transition(task, acknowledge, NOW)).toMatchObject({ acknowledgedAt: at });
    expect(transition(task, complete, NOW)).toMatchObject({ completedAt: at, note: "已办结" });
    expect(transition(task, cancel, NOW)).toMatchObject({ cancelledAt: at, cancelReason: "重复" });
    expect(task.status).toBe("open");
  });
});
