import { z } from "zod";
import {
  activityKindSchema,
  appealCategorySchema,
  appealUrgencySchema,
  employmentFormSchema,
  offboardReasonSchema,
  politicalStatusSchema,
  workerRoleSchema,
} from "../enums/index.js";
import {
  activityIdSchema,
  boundedText,
  consentSchema,
  contactSchema,
  homeOrganizationSchema,
  regionCodeSchema,
  signalIdSchema,
  stationIdSchema,
  taskIdSchema,
  timestampSchema,
  workerIdSchema,
} from "../primitives/index.js";
import { checkConsent, consentJsonSchemaRule } from "./consent.js";
import { signalExamples } from "./examples.js";

export { checkConsent, requiredScopes } from "./consent.js";
export { signalExamples } from "./examples.js";

export const signalTypes = [
  "worker.onboarded",
  "worker.offboarded",
  "worker.relocated",
  "membership.declared",
  "activity.completed",
  "appeal.raised",
  "station.updated",
] as const;
export type SignalType = (typeof signalTypes)[number];

export const signalTypeSchema = z.enum(signalTypes).meta({
  description: "Signal type: what happened on the platform.",
});

const workerId = workerIdSchema;
const optionalStation = stationIdSchema.optional();

const placeSchema = z
  .strictObject({
    regionCode: regionCodeSchema,
    stationId: stationIdSchema.optional(),
  })
  .meta({ id: "Place", description: "Where a worker works: region and, optionally, station." });

export const workerOnboardedDataSchema = z
  .strictObject({
    workerId,
    role: workerRoleSchema,
    employment: employmentFormSchema,
    regionCode: regionCodeSchema.describe("Where the worker works (GB/T 2260, 6 or 9 digits)."),
    stationId: optionalStation,
    politicalStatus: politicalStatusSchema.optional(),
    homeOrganization: homeOrganizationSchema.optional(),
    contact: contactSchema.optional(),
    consent: consentSchema.optional(),
  })
  .superRefine(checkConsent)
  .meta({
    id: "WorkerOnboardedData",
    description:
      "A worker started working through the platform. Political status, home organization and contact are optional and need the matching consent scopes.",
    allOf: consentJsonSchemaRule,
  });

export const workerOffboardedDataSchema = z
  .strictObject({ workerId, reason: offboardReasonSchema })
  .meta({ id: "WorkerOffboardedData", description: "A worker stopped working through the platform." });

export const workerRelocatedDataSchema = z
  .strictObject({
    workerId,
    from: placeSchema.describe("Where the worker worked before."),
    to: placeSchema.describe("Where the worker works now."),
  })
  .meta({
    id: "WorkerRelocatedData",
    description:
      "A worker moved to another region or station. For a known member this starts an organization relation transfer (组织关系转接).",
  });

export const membershipDeclaredDataSchema = z
  .strictObject({
    workerId,
    politicalStatus: politicalStatusSchema,
    regionCode: regionCodeSchema.describe("Where the worker works now (GB/T 2260, 6 or 9 digits)."),
    stationId: optionalStation,
    homeOrganization: homeOrganizationSchema
      .optional()
      .describe("Required for `member` and `probationary`: where the membership is held now (原所在党组织)."),
    contact: contactSchema.optional(),
    consent: consentSchema,
  })
  .superRefine((data, ctx) => {
    if (
      (data.politicalStatus === "member" || data.politicalStatus === "probationary") &&
      !data.homeOrganization
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["homeOrganization"],
        message: "home organization is required for a member or probationary member",
        params: { reason: "home_organization_required" },
      });
    }
    checkConsent(data, ctx);
  })
  .meta({
    id: "MembershipDeclaredData",
    description:
      "A worker declared their political status (政治面貌) through the platform, with consent. Members and probationary members also name their home organization so the covering organization can register them (报到).",
    allOf: [
      ...consentJsonSchemaRule,
      {
        if: { type: "object", properties: { politicalStatus: { enum: ["member", "probationary"] } } },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
        then: { type: "object", required: ["homeOrganization"], properties: { homeOrganization: true } },
      },
    ],
  });

export const activityCompletedDataSchema = z
  .strictObject({
    workerId,
    kind: activityKindSchema,
    hours: z
      .number()
      .positive()
      .max(24)
      .multipleOf(0.25)
      .meta({ description: "Hours spent, in quarter hours: more than 0, at most 24.", examples: [1.5] }),
    activityId: activityIdSchema,
  })
  .meta({
    id: "ActivityCompletedData",
    description: "A worker completed an activity; for a known member it becomes a points entry (党员积分).",
  });

export const appealRaisedDataSchema = z
  .strictObject({
    workerId,
    category: appealCategorySchema,
    urgency: appealUrgencySchema,
    summary: boundedText(2000, { multiline: true }).meta({
      description:
        "What the worker is asking for help with, at most 2000 characters; control characters are removed. Do not include names or phone numbers.",
      examples: ["配送途中电动车被扣，需要协助联系交管部门。"],
    }),
    regionCode: regionCodeSchema.describe("Where the appeal arose (GB/T 2260, 6 or 9 digits)."),
  })
  .meta({
    id: "AppealRaisedData",
    description: "A worker raised an appeal (诉求) through the platform; it becomes a follow-up task.",
  });

export const stationUpdatedDataSchema = z
  .strictObject({
    stationId: stationIdSchema,
    name: boundedText(128).meta({ description: "Station name.", examples: ["朝阳门骑手驿站"] }),
    regionCode: regionCodeSchema.describe("Where the station is (GB/T 2260, 6 or 9 digits)."),
    headcount: z
      .number()
      .int()
      .min(0)
      .max(100_000)
      .meta({ description: "Workers currently attached to the station, 0 to 100000.", examples: [42] }),
  })
  .meta({
    id: "StationUpdatedData",
    description: "A station or service point (站点/驿站) was created or changed.",
  });

function envelope<const T extends SignalType, D extends z.ZodType>(
  type: T,
  data: D,
  id: string,
  description: string,
): z.ZodObject<
  { id: typeof signalIdSchema; type: z.ZodLiteral<T>; occurredAt: typeof timestampSchema; data: D },
  z.core.$strict
> {
  // The explicit return type breaks the type cycle through `signalExamples`, which is typed by these schemas.
  return z
    .strictObject({
      id: signalIdSchema,
      type: z.literal(type).describe(`The signal type, \`${type}\`; selects the shape of \`data\`.`),
      occurredAt: timestampSchema.describe("When it happened on the platform (RFC 3339 with offset)."),
      data,
    })
    .meta({ id, description, examples: [signalExamples[type]] });
}

export const workerOnboardedSignalSchema = envelope(
  "worker.onboarded",
  workerOnboardedDataSchema,
  "WorkerOnboardedSignal",
  "`worker.onboarded`: a worker started on the platform (入职/注册).",
);
export const workerOffboardedSignalSchema = envelope(
  "worker.offboarded",
  workerOffboardedDataSchema,
  "WorkerOffboardedSignal",
  "`worker.offboarded`: a worker left the platform (离职).",
);
export const workerRelocatedSignalSchema = envelope(
  "worker.relocated",
  workerRelocatedDataSchema,
  "WorkerRelocatedSignal",
  "`worker.relocated`: a worker moved region or station (流动).",
);
export const membershipDeclaredSignalSchema = envelope(
  "membership.declared",
  membershipDeclaredDataSchema,
  "MembershipDeclaredSignal",
  "`membership.declared`: a worker declared their political status (政治面貌申报).",
);
export const activityCompletedSignalSchema = envelope(
  "activity.completed",
  activityCompletedDataSchema,
  "ActivityCompletedSignal",
  "`activity.completed`: a worker completed an activity (参加活动).",
);
export const appealRaisedSignalSchema = envelope(
  "appeal.raised",
  appealRaisedDataSchema,
  "AppealRaisedSignal",
  "`appeal.raised`: a worker raised an appeal (诉求).",
);
export const stationUpdatedSignalSchema = envelope(
  "station.updated",
  stationUpdatedDataSchema,
  "StationUpdatedSignal",
  "`station.updated`: a station or service point changed (站点/驿站).",
);

/** One envelope schema per signal type. */
export const signalSchemas = {
  "worker.onboarded": workerOnboardedSignalSchema,
  "worker.offboarded": workerOffboardedSignalSchema,
  "worker.relocated": workerRelocatedSignalSchema,
  "membership.declared": membershipDeclaredSignalSchema,
  "activity.completed": activityCompletedSignalSchema,
  "appeal.raised": appealRaisedSignalSchema,
  "station.updated": stationUpdatedSignalSchema,
} as const satisfies { [T in SignalType]: z.ZodType };

export const signalSchema = z
  .discriminatedUnion("type", [
    workerOnboardedSignalSchema,
    workerOffboardedSignalSchema,
    workerRelocatedSignalSchema,
    membershipDeclaredSignalSchema,
    activityCompletedSignalSchema,
    appealRaisedSignalSchema,
    stationUpdatedSignalSchema,
  ])
  .meta({
    id: "Signal",
    description:
      "A signal from a platform (平台信号): envelope `id`, `type`, `occurredAt`, `data`, where `data` depends on `type`. Unknown fields are rejected.",
  });

export type Signal = z.infer<typeof signalSchema>;
/** What a platform may send: before defaults and normalisation (e.g. `+86` phone prefixes). */
export type SignalInput = z.input<typeof signalSchema>;
export type SignalOf<T extends SignalType> = z.infer<(typeof signalSchemas)[T]>;
export type SignalInputOf<T extends SignalType> = z.input<(typeof signalSchemas)[T]>;
export type SignalData<T extends SignalType> = SignalOf<T>["data"];

export const DEFAULT_MAX_BATCH = 500;

export const batchRequestSchema = z
  .strictObject({
    signals: z
      .array(signalSchema)
      .min(1, { message: "must contain at least one signal" })
      .describe(
        `Signals to ingest, at least one; at most the gateway's configured maximum (default ${DEFAULT_MAX_BATCH}).`,
      ),
  })
  .meta({ id: "BatchRequest", description: "A batch of signals (`POST /v1/signals/batch`)." });
export type BatchRequest = z.infer<typeof batchRequestSchema>;

export const acceptedResponseSchema = z
  .object({
    accepted: z.array(signalIdSchema).describe("Ids of signals accepted now, in request order."),
    duplicates: z
      .array(signalIdSchema)
      .describe("Ids already received within the idempotency window; they were not queued again."),
  })
  .meta({ id: "AcceptedResponse", description: "Signals accepted for processing (HTTP 202)." });
export type AcceptedResponse = z.infer<typeof acceptedResponseSchema>;

/**
 * The facts a worker's record holds, each set by the newest signal that states it (by `occurredAt`,
 * ties broken by signal id): `place` (region, station), `membership` (political status and home
 * organization), `contact`, `consent`, and `employment` (on the platform or not, role, employment form).
 */
export const workerFacts = ["place", "membership", "contact", "consent", "employment"] as const;
export type WorkerFact = (typeof workerFacts)[number];
export const workerFactSchema = z.enum(workerFacts).meta({
  id: "WorkerFact",
  description:
    "A fact on a worker's record: `place` (region, station), `membership` (political status, home organization), `contact`, `consent`, `employment` (on the platform or not, role, employment form).",
});

export const signalStatuses = ["queued", "processed", "failed"] as const;
export const signalStatusSchema = z
  .object({
    id: signalIdSchema,
    type: signalTypeSchema,
    status: z.enum(signalStatuses).meta({
      description: "`queued`: accepted, not yet processed; `processed`: rules ran; `failed`: see `failure`.",
    }),
    receivedAt: timestampSchema.describe("When the gateway accepted the signal."),
    processedAt: timestampSchema.optional().describe("When processing finished."),
    tasks: z.array(taskIdSchema).describe("Ids of tasks this signal created."),
    staleFacts: z
      .array(workerFactSchema)
      .optional()
      .describe(
        "Facts this signal stated that were older (by `occurredAt`, then signal id) than what the worker's record already held; they did not change the record and made no task. Present only when there were some.",
      ),
    note: z
      .string()
      .max(500)
      .optional()
      .describe(
        "A human-readable remark on how the signal was processed, such as which of its facts were stale.",
      ),
    failure: z
      .object({
        reason: z
          .string()
          .max(64)
          .meta({
            description: "Machine-readable failure reason.",
            examples: ["no_route", "erased"],
          }),
        detail: z.string().max(2000).describe("Human-readable explanation, free of personal data."),
      })
      .optional()
      .describe("Why processing failed; present when `status` is `failed`."),
  })
  .meta({ id: "SignalStatus", description: "Processing status of one signal (`GET /v1/signals/{id}`)." });
export type SignalStatus = z.infer<typeof signalStatusSchema>;
