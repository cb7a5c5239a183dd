import { z } from "zod";
import { pageSchema } from "../api/index.js";
import {
  appealCategorySchema,
  appealUrgencySchema,
  type Labels,
  labelledEnum,
  offboardReasonSchema,
} from "../enums/index.js";
import {
  boundedText,
  contactSchema,
  homeOrganizationSchema,
  orgIdSchema,
  platformIdSchema,
  regionCodeSchema,
  signalIdSchema,
  stationIdSchema,
  subjectIdSchema,
  taskIdSchema,
  timestampSchema,
  workerIdSchema,
} from "../primitives/index.js";

export const taskKinds = [
  "register_member",
  "mentor_applicant",
  "transfer_relation",
  "update_roster",
  "follow_up_appeal",
  "establish_organization",
] as const;
export type TaskKind = (typeof taskKinds)[number];
export const taskKindLabels: Labels<typeof taskKinds> = {
  register_member: { en: "Register a member who reported in (R1)", zh: "报到登记" },
  mentor_applicant: { en: "Contact and mentor an activist or applicant (R2)", zh: "联系培养" },
  transfer_relation: { en: "Receive a member's organization relation transfer (R3)", zh: "组织关系转接" },
  update_roster: { en: "Update the roster after a member left the platform (R4)", zh: "更新党员名册" },
  follow_up_appeal: { en: "Follow up a worker's appeal (R5)", zh: "诉求跟进" },
  establish_organization: { en: "Establish a party group or branch at a station (R6)", zh: "组建党组织" },
};
export const taskKindSchema = labelledEnum(taskKinds, taskKindLabels, "Kind of follow-up task.");

export const taskStatuses = ["open", "acknowledged", "completed", "cancelled"] as const;
export type TaskStatus = (typeof taskStatuses)[number];
export const taskStatusLabels: Labels<typeof taskStatuses> = {
  open: { en: "Created, not yet acknowledged by the organization", zh: "待接收" },
  acknowledged: { en: "The organization has taken it on", zh: "已接收" },
  completed: { en: "Done", zh: "已办结" },
  cancelled: { en: "Withdrawn, with a reason", zh: "已取消" },
};
export const taskStatusSchema = labelledEnum(
  taskStatuses,
  taskStatusLabels,
  "Task lifecycle state. `open` may become `acknowledged`, `completed` or `cancelled`; `acknowledged` may become `completed` or `cancelled`. A task not acknowledged by its deadline is overdue.",
);

export const ruleIds = ["R1", "R2", "R3", "R4", "R5", "R6"] as const;
export type RuleId = (typeof ruleIds)[number];

/** Which rule creates each kind of task. */
export const taskKindRules = {
  register_member: "R1",
  mentor_applicant: "R2",
  transfer_relation: "R3",
  update_roster: "R4",
  follow_up_appeal: "R5",
  establish_organization: "R6",
} as const satisfies { [K in TaskKind]: RuleId };

/** Transitions an organization may make; anything else is a conflict. */
export const taskTransitions: { readonly [S in TaskStatus]: readonly TaskStatus[] } = {
  open: ["acknowledged", "completed", "cancelled"],
  acknowledged: ["completed", "cancelled"],
  completed: [],
  cancelled: [],
};

const memberStatus = z
  .enum(["member", "probationary"])
  .describe("`member` (正式党员) or `probationary` (预备党员).");
const applicantStatus = z
  .enum(["activist", "applicant"])
  .describe("`activist` (入党积极分子) or `applicant` (入党申请人).");

// Raw worker id and contact leave the gateway only inside a task, and only with consent scope share_contact.
const identified = {
  workerId: workerIdSchema
    .optional()
    .describe("The platform's worker id; present only if the worker consented to share contact details."),
  contact: contactSchema
    .optional()
    .describe("Name and phone; present only if the worker consented to share contact details."),
};

const placeFrom = z.object({
  regionCode: regionCodeSchema,
  stationId: stationIdSchema.optional(),
  orgId: orgIdSchema.nullable().describe("The sending organization, or null if none covered the old place."),
});
const placeTo = z.object({ regionCode: regionCodeSchema, stationId: stationIdSchema.optional() });

export const taskDetailsSchemas = {
  register_member: z
    .object({
      politicalStatus: memberStatus,
      homeOrganization: homeOrganizationSchema.optional(),
      ...identified,
    })
    .meta({
      id: "RegisterMemberDetails",
      description: "A member or probationary member reported in (报到).",
    }),
  mentor_applicant: z
    .object({
      politicalStatus: applicantStatus,
      homeOrganization: homeOrganizationSchema.optional(),
      ...identified,
    })
    .meta({
      id: "MentorApplicantDetails",
      description: "An activist or applicant to contact and mentor (联系培养).",
    }),
  transfer_relation: z
    .object({
      politicalStatus: memberStatus,
      homeOrganization: homeOrganizationSchema.optional(),
      from: placeFrom.describe("Where the member worked before, and the organization that covered it."),
      to: placeTo.describe("Where the member works now."),
      ...identified,
    })
    .meta({
      id: "TransferRelationDetails",
      description: "A known member moved into this organization's area (组织关系转接).",
    }),
  update_roster: z
    .object({ politicalStatus: memberStatus, reason: offboardReasonSchema, ...identified })
    .meta({ id: "UpdateRosterDetails", description: "A known member left the platform (更新名册)." }),
  follow_up_appeal: z
    .object({
      category: appealCategorySchema,
      urgency: appealUrgencySchema,
      summary: z.string().max(2000).describe("The worker's summary, already cleaned of control characters."),
      ...identified,
    })
    .meta({ id: "FollowUpAppealDetails", description: "A worker's appeal to follow up (诉求办理)." }),
  establish_organization: z
    .object({
      stationName: z.string().max(128).describe("Station name."),
      headcount: z.number().int().min(0).describe("Workers attached to the station."),
      memberCount: z.number().int().min(0).describe("Full members (正式党员) known at the station."),
    })
    .meta({
      id: "EstablishOrganizationDetails",
      description:
        "A station has enough full members to form a party group or branch (建立党小组/党支部) and its covering organization has none for it.",
    }),
} as const satisfies { [K in TaskKind]: z.ZodType };

const ids: { [K in TaskKind]: string } = {
  register_member: "RegisterMemberTask",
  mentor_applicant: "MentorApplicantTask",
  transfer_relation: "TransferRelationTask",
  update_roster: "UpdateRosterTask",
  follow_up_appeal: "FollowUpAppealTask",
  establish_organization: "EstablishOrganizationTask",
};

function taskVariant<const K extends TaskKind>(kind: K) {
  return z
    .object({
      id: taskIdSchema,
      kind: z.literal(kind).describe(`The kind of task, \`${kind}\`; selects the shape of \`details\`.`),
      status: taskStatusSchema,
      orgId: orgIdSchema.describe("The organization the task is for."),
      subjectId: subjectIdSchema.optional().describe("The worker the task is about, pseudonymous."),
      stationId: stationIdSchema.optional(),
      regionCode: regionCodeSchema.optional(),
      platformId: platformIdSchema.describe("The platform whose signal created the task."),
      signalId: signalIdSchema.describe("The signal that created the task."),
      rule: z.literal(taskKindRules[kind]).describe("The rule that created the task."),
      deadline: timestampSchema.describe("Acknowledge by this time, or the task becomes overdue."),
      createdAt: timestampSchema,
      updatedAt: timestampSchema,
      acknowledgedAt: timestampSchema.optional(),
      completedAt: timestampSchema.optional(),
      cancelledAt: timestampSchema.optional(),
      overdueAt: timestampSchema
        .optional()
        .describe("When the task was found not acknowledged by its deadline (`task.overdue` was raised)."),
      details: taskDetailsSchemas[kind],
      note: z.string().max(2000).optional().describe("The organization's note when completing the task."),
      cancelReason: z.string().max(2000).optional().describe("Why the task was cancelled."),
      erasedAt: timestampSchema
        .optional()
        .describe(
          "When the worker's personal data was erased: the worker id and contact are gone, and the appeal summary, note and cancel reason read `[erased]`.",
        ),
    })
    .meta({
      id: ids[kind],
      description: `Task \`${kind}\`: ${taskKindLabels[kind].en} (${taskKindLabels[kind].zh}).`,
    });
}

export const taskSchemas = {
  register_member: taskVariant("register_member"),
  mentor_applicant: taskVariant("mentor_applicant"),
  transfer_relation: taskVariant("transfer_relation"),
  update_roster: taskVariant("update_roster"),
  follow_up_appeal: taskVariant("follow_up_appeal"),
  establish_organization: taskVariant("establish_organization"),
} as const;

export const taskSchema = z
  .discriminatedUnion("kind", [
    taskSchemas.register_member,
    taskSchemas.mentor_applicant,
    taskSchemas.transfer_relation,
    taskSchemas.update_roster,
    taskSchemas.follow_up_appeal,
    taskSchemas.establish_organization,
  ])
  .meta({
    id: "Task",
    description:
      "A follow-up task for a Party organization (待办任务). `details` depends on `kind`. Receivers should ignore fields they do not know.",
  });
export type Task = z.infer<typeof taskSchema>;
export type TaskOf<K extends TaskKind> = z.infer<(typeof taskSchemas)[K]>;
export type TaskDetails<K extends TaskKind> = TaskOf<K>["details"];

export const taskAcknowledgeRequestSchema = z.strictObject({}).meta({
  id: "TaskAcknowledgeRequest",
  description: "Acknowledge a task: the organization has taken it on.",
});
export const taskCompleteRequestSchema = z
  .strictObject({
    note: boundedText(2000, { multiline: true }).describe("What was done, at most 2000 characters."),
  })
  .meta({ id: "TaskCompleteRequest", description: "Complete a task with a note." });
export const taskCancelRequestSchema = z
  .strictObject({
    reason: boundedText(2000, { multiline: true }).describe(
      "Why the task is cancelled, at most 2000 characters.",
    ),
  })
  .meta({ id: "TaskCancelRequest", description: "Cancel a task with a reason." });
export type TaskCompleteRequest = z.infer<typeof taskCompleteRequestSchema>;
export type TaskCancelRequest = z.infer<typeof taskCancelRequestSchema>;

export const taskListResponseSchema = pageSchema(
  taskSchema,
  "Task",
  "oldest first (by when each task entered the list's index)",
);
export type TaskListResponse = z.infer<typeof taskListResponseSchema>;
