import { fixtures, type Task, taskSchema } from "@gigbridge/schemas";
import { describe, expect, it } from "vitest";
import type { DeliveryJobData } from "../delivery/outbox.js";
import type { SignalJob } from "../ingest/intake.js";
import { ERASED, erasedDelivery, erasedSignalJob, erasedTask, isErasedJob } from "./scrub.js";

const at = "2024-06-07T01:00:00.000Z";
const appeal = {
  id: "tsk_1",
  kind: "follow_up_appeal",
  status: "completed",
  orgId: "street-a",
  subjectId: "sub_1",
  platformId: "platform-a",
  signalId: "sig-1",
  rule: "R5",
  deadline: "2024-06-08T00:00:00.000Z",
  createdAt: "2024-06-01T00:00:00.000Z",
  updatedAt: "2024-06-02T00:00:00.000Z",
  completedAt: "2024-06-02T00:00:00.000Z",
  note: "Called Lin on 13900000000",
  details: {
    category: "wages",
    urgency: "normal",
    summary: "Unpaid wages",
    workerId: "w_1",
    contact: { name: "Lin", phone: "13900000000" },
  },
} as Task;

describe("erasedTask", () => {
  it("removes the worker id and contact, marks free text, keeps what orgs count by, and stays a valid task", () => {
    const erased = erasedTask(appeal, at);
    expect(erased).toEqual({
      ...appeal,
      note: ERASED,
      erasedAt: at,
      details: { category: "wages", urgency: "normal", summary: ERASED },
    });
    expect(taskSchema.safeParse(erased).success).toBe(true);
    expect(JSON.stringify(erased)).not.toMatch(/Lin|13900000000|w_1|Unpaid/);
  });

  it("is idempotent: an erased task is returned as it is, with its first erasure time", () => {
    const once = erasedTask(appeal, at);
    expect(erasedTask(once, "2030-01-01T00:00:00.000Z")).toBe(once);
  });

  it("erases every kind of task the fixtures hold and keeps each valid", () => {
    for (const task of Object.values(fixtures.tasks.valid) as Task[]) {
      const erased = erasedTask({ ...task, cancelReason: "the worker said so" } as Task, at);
      expect(taskSchema.safeParse(erased).success, task.kind).toBe(true);
      expect(erased.details, task.kind).not.toHaveProperty("contact");
      expect(erased.details, task.kind).not.toHaveProperty("workerId");
      expect(erased.cancelReason).toBe(ERASED);
    }
  });
});

describe("erasedSignalJob", () => {
  it("keeps the signal's id, type and time and nothing else", () => {
    const job: SignalJob = {
      platformId: "platform-a",
      receivedAt: 1,
      signal: {
        id: "sig-1",
        type: "appeal.raised",
        occurredAt: "2024-06-06T13:15:00+08:00",
        data: {
          workerId: "w_1",
          category: "wages",
          urgency: "urgent",
          summary: "text",
          regionCode: "110105",
        },
      },
    };
    const erased = erasedSignalJob(job, "sub_1");
    expect(erased).toEqual({
      platformId: "platform-a",
      receivedAt: 1,
      signal: { id: "sig-1", type: "appeal.raised", occurredAt: "2024-06-06T13:15:00+08:00" },
      erased: { subjectId: "sub_1" },
    });
    expect(isErasedJob(erased)).toBe(true);
    expect(isErasedJob(job)).toBe(false);
    expect(erasedSignalJob(erased, "sub_other")).toBe(erased);
  });
});

describe("erasedDelivery", () => {
  const base = { msgId: "msg_1", eventId: "evt_1", orgId: "street-a", endpointId: "e", timestamp: at };
  it("erases the task inside task events and leaves other events alone", () => {
    const created: DeliveryJobData = { ...base, type: "task.created", data: { task: appeal } };
    expect(erasedDelivery(created, at).data).toEqual({ task: erasedTask(appeal, at) });
    const points: DeliveryJobData = { ...base, type: "points.awarded", data: { subjectId: "sub_1" } };
    expect(erasedDelivery(points, at)).toBe(points);
  });
});
