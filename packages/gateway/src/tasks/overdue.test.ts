import type { EventData } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProcessResult } from "../processing/process.js";
import { processSignal } from "../processing/process.js";
import { type StageHarness, startStageHarness } from "../processing/testing.js";
import { makeSignal } from "../rules/testing.js";
import { checkOverdue, type OverdueWorker, startOverdueWorker } from "./overdue.js";
import { changeTask, getTask } from "./store.js";

// Real time, a real BullMQ delayed job per task, and a 300 ms deadline for urgent appeals.
let h: StageHarness;
let worker: OverdueWorker;
beforeAll(async () => {
  h = await startStageHarness({ realClock: true, config: { deadlines: { follow_up_appeal_urgent: 300 } } });
  worker = startOverdueWorker(h.gw, { emit: h.emit });
});
afterAll(async () => {
  await worker?.close();
  await h?.close();
});

async function appeal(id: string): Promise<ProcessResult> {
  const signal = makeSignal("appeal.raised", { urgency: "urgent", regionCode: "110105001" }, { id });
  return processSignal(h.gw, { platformId: "quickride", signal, receivedAt: Date.now() }, { emit: h.emit });
}

const overdueFor = (taskId: string) =>
  h
    .sent()
    .filter((e) => e.type === "task.overdue" && (e.data as EventData<"task.overdue">).task.id === taskId);

async function jobFinished(taskId: string) {
  const job = await h.gw.queue("overdue").getJob(taskId);
  return (await job?.getState()) === "completed" ? job : undefined;
}

describe("task.overdue", () => {
  it("raises exactly one to the org and one to its parent when a task is not acknowledged in time", async () => {
    const [taskId] = (await appeal("late")).tasks;
    await waitFor(async () => (await jobFinished(taskId!)) !== undefined, {
      timeoutMs: 10_000,
      description: "the overdue check",
    });
    const events = overdueFor(taskId!);
    expect(events.map((e) => [e.orgId, (e.data as EventData<"task.overdue">).audience])).toEqual([
      ["chaoyang-street", "owner"],
      ["chaoyang-district", "parent"],
    ]);
    const task = (await getTask(h.gw.redis, taskId!))!;
    expect(task.overdueAt).not.toBeNull();
    // Organizations that pull their tasks see it too.
    expect(task.task.overdueAt).toBe(new Date(task.overdueAt!).toISOString());
    expect(events[0]?.data).toMatchObject({
      overdueSince: task.task.deadline,
      task: { id: taskId, status: "open" },
    });

    // The check runs again (an operator replays the job, the signal is replayed): nothing new is raised.
    const firstRun = (await jobFinished(taskId!))!;
    const firstFinished = firstRun.finishedOn!;
    await firstRun.retry("completed");
    await waitFor(async () => ((await jobFinished(taskId!))?.finishedOn ?? 0) > firstFinished, {
      timeoutMs: 10_000,
      description: "the replayed check",
    });
    await appeal("late");
    expect(await checkOverdue(h.gw, taskId!, h.emit)).toBe("raised");
    expect(h.emitted.filter((e) => e.type === "task.overdue").length).toBeGreaterThan(2);
    // Every repeat carries the same event id, which the outbox sends once.
    expect(overdueFor(taskId!)).toEqual(events);
  });

  it("raises nothing for a task acknowledged before its deadline", async () => {
    const [taskId] = (await appeal("on-time")).tasks;
    expect((await changeTask(h.gw.redis, taskId!, { type: "acknowledge" }, Date.now())).outcome).toBe(
      "changed",
    );
    await waitFor(async () => (await jobFinished(taskId!)) !== undefined, {
      timeoutMs: 10_000,
      description: "the overdue check",
    });
    expect((await jobFinished(taskId!))?.returnvalue).toBe("not_open");
    expect(overdueFor(taskId!)).toEqual([]);
  });

  it("does not raise before the deadline", async () => {
    const signal = makeSignal(
      "appeal.raised",
      { urgency: "normal", regionCode: "110105001" },
      { id: "normal" },
    );
    const { tasks } = await processSignal(
      h.gw,
      { platformId: "quickride", signal, receivedAt: Date.now() },
      { emit: h.emit },
    );
    expect(await checkOverdue(h.gw, tasks[0]!, h.emit)).toBe("not_due");
    expect(overdueFor(tasks[0]!)).toEqual([]);
  });
});
