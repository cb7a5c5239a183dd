import { z } from "zod";
import { activityKindSchema } from "../enums/index.js";
import {
  activityIdSchema,
  endpointIdSchema,
  orgIdSchema,
  regionCodeSchema,
  subjectIdSchema,
  taskIdSchema,
  timestampSchema,
} from "../primitives/index.js";
import { taskSchema, taskStatusSchema } from "../tasks/index.js";

export const eventTypes = [
  "task.created",
  "task.updated",
  "task.overdue",
  "member.departed",
  "points.awarded",
  "endpoint.ping",
  "endpoint.disabled",
  "worker.erased",
] as const;
export type EventType = (typeof eventTypes)[number];
export const eventTypeSchema = z.enum(eventTypes).meta({ description: "Webhook event type." });

export const taskCreatedDataSchema = z
  .object({ task: taskSchema })
  .meta({ id: "TaskCreatedData", description: "A task was created for the receiving organization." });

export const taskUpdatedDataSchema = z
  .object({
    task: taskSchema.describe("The task after the change."),
    previousStatus: taskStatusSchema.describe("The status before the change."),
  })
  .meta({
    id: "TaskUpdatedData",
    description: "A task changed status (acknowledged, completed or cancelled).",
  });

export const taskOverdueDataSchema = z
  .object({
    task: taskSchema,
    overdueSince: timestampSchema.describe("The deadline that passed without acknowledgement."),
    audience: z
      .enum(["owner", "parent"])
      .describe(
        "`owner`: the receiver owns the task; `parent`: the receiver is the owner's parent organization.",
      ),
  })
  .meta({
    id: "TaskOverdueData",
    description:
      "A task was not acknowledged by its deadline (逾期); sent to its organization and the parent.",
  });

export const memberDepartedDataSchema = z
  .object({
    subjectId: subjectIdSchema,
    fromOrgId: orgIdSchema.describe("The sending organization (the receiver of this notice)."),
    toOrgId: orgIdSchema.nullable().describe("The receiving organization, or null if none is known."),
    fromRegionCode: regionCodeSchema,
    toRegionCode: regionCodeSchema,
    occurredAt: timestampSchema.describe("When the member moved."),
    transferTaskId: taskIdSchema
      .nullable()
      .describe("The receiving organization's `transfer_relation` task."),
  })
  .meta({
    id: "MemberDepartedData",
    description:
      "A member covered by the receiver moved away; the receiving organization has a transfer task (转出通知).",
  });

export const pointsAwardedDataSchema = z
  .object({
    subjectId: subjectIdSchema,
    orgId: orgIdSchema.describe("The member's covering organization."),
    activityId: activityIdSchema,
    kind: activityKindSchema,
    hours: z.number().positive().max(24).describe("Hours of the activity."),
    points: z.number().min(0).describe("Points awarded for this activity."),
    balance: z.number().min(0).describe("The member's points balance after this entry."),
    occurredAt: timestampSchema.describe("When the activity was completed."),
  })
  .meta({ id: "PointsAwardedData", description: "Points were added to a member's ledger (党员积分)." });

export const endpointPingDataSchema = z
  .object({
    endpointId: endpointIdSchema,
    message: z.string().max(200).describe("Free text from the operator who sent the test."),
  })
  .meta({
    id: "EndpointPingData",
    description: "A test delivery sent by an operator to check an endpoint; carries no domain data.",
  });

export const endpointDisabledDataSchema = z
  .object({
    endpointId: endpointIdSchema,
    orgId: orgIdSchema.describe("The organization the endpoint belongs to."),
    reason: z
      .enum(["gone", "failing"])
      .describe(
        "`gone`: the endpoint answered 410 Gone; `failing`: it failed continuously for longer than `delivery.disableAfter`.",
      ),
    disabledAt: timestampSchema.describe("When the gateway disabled it."),
  })
  .meta({
    id: "EndpointDisabledData",
    description:
      "The gateway stopped delivering to one of the organization's endpoints; re-enable it through the API after fixing it. Sent to the organization's other endpoints.",
  });

export const workerErasedDataSchema = z
  .object({
    subjectId: subjectIdSchema.describe("The erased worker's pseudonymous subject id, as on its tasks."),
    taskIds: z
      .array(taskIdSchema)
      .describe(
        "The receiver's tasks about the worker; they are kept with the worker's id, contact, appeal summary and notes removed.",
      ),
  })
  .meta({
    id: "WorkerErasedData",
    description:
      "A platform had a worker's personal data erased (PIPL art. 47): erase it from your own systems too. Carries no personal data.",
  });

const dataSchemas = {
  "task.created": taskCreatedDataSchema,
  "task.updated": taskUpdatedDataSchema,
  "task.overdue": taskOverdueDataSchema,
  "member.departed": memberDepartedDataSchema,
  "points.awarded": pointsAwardedDataSchema,
  "endpoint.ping": endpointPingDataSchema,
  "endpoint.disabled": endpointDisabledDataSchema,
  "worker.erased": workerErasedDataSchema,
} as const;

function webhookEvent<const T extends EventType>(type: T, id: string, description: string) {
  return z
    .object({
      type: z.literal(type).describe(`The event type, \`${type}\`; selects the shape of \`data\`.`),
      timestamp: timestampSchema.describe(
        "When the event was created. The `webhook-timestamp` header is the time of each delivery attempt instead, so a late retry still passes receivers' freshness checks.",
      ),
      data: dataSchemas[type],
    })
    .meta({ id, description });
}

export const eventSchemas = {
  "task.created": webhookEvent("task.created", "TaskCreatedEvent", "`task.created`: a new task (新任务)."),
  "task.updated": webhookEvent("task.updated", "TaskUpdatedEvent", "`task.updated`: a task changed status."),
  "task.overdue": webhookEvent(
    "task.overdue",
    "TaskOverdueEvent",
    "`task.overdue`: a task missed its deadline.",
  ),
  "member.departed": webhookEvent(
    "member.departed",
    "MemberDepartedEvent",
    "`member.departed`: a member moved away (转出通知).",
  ),
  "points.awarded": webhookEvent(
    "points.awarded",
    "PointsAwardedEvent",
    "`points.awarded`: points entry (积分).",
  ),
  "endpoint.ping": webhookEvent("endpoint.ping", "EndpointPingEvent", "`endpoint.ping`: an operator's test."),
  "endpoint.disabled": webhookEvent(
    "endpoint.disabled",
    "EndpointDisabledEvent",
    "`endpoint.disabled`: an endpoint of the organization was disabled.",
  ),
  "worker.erased": webhookEvent(
    "worker.erased",
    "WorkerErasedEvent",
    "`worker.erased`: a worker's personal data was erased; erase your copies.",
  ),
} as const satisfies { [T in EventType]: z.ZodType };

export const eventSchema = z
  .discriminatedUnion("type", [
    eventSchemas["task.created"],
    eventSchemas["task.updated"],
    eventSchemas["task.overdue"],
    eventSchemas["member.departed"],
    eventSchemas["points.awarded"],
    eventSchemas["endpoint.ping"],
    eventSchemas["endpoint.disabled"],
    eventSchemas["worker.erased"],
  ])
  .meta({
    id: "Event",
    description:
      "A webhook body (Standard Webhooks): `type`, `timestamp`, `data`. The event id is the `webhook-id` header. Receivers should ignore fields they do not know.",
  });
export type Event = z.infer<typeof eventSchema>;
export type EventOf<T extends EventType> = z.infer<(typeof eventSchemas)[T]>;
export type EventData<T extends EventType> = EventOf<T>["data"];
