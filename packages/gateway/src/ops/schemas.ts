import {
  deprecatedAlias,
  nextCursorSchema,
  pageQuerySchema,
  pageSchema,
  timestampSchema,
} from "@gigbridge/schemas";
import { z } from "@hono/zod-openapi";

/**
 * The operator API's request and response shapes. They are the OpenAPI
 * contract of `/v1/ops` and the types the CLI reads, so the two cannot drift.
 */

export const opsQueues = ["signals", "deliveries"] as const;
export type OpsQueue = (typeof opsQueues)[number];

const instant = timestampSchema;

const filterFields = {
  queue: z.enum(opsQueues).optional().describe("Only this queue: `signals` (processing) or `deliveries`."),
  reason: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,63}$/)
    .optional()
    .describe("Failure reason, such as `no_route` or `retries_exhausted`."),
  platformId: z.string().min(1).max(64).optional().describe("Platform that sent the signal."),
  orgId: z.string().min(1).max(64).optional().describe("Organization the delivery was for."),
  endpointId: z.string().min(1).max(64).optional().describe("Webhook endpoint of the delivery."),
  type: z.string().min(1).max(64).optional().describe("Signal type or event type."),
  since: instant.optional().describe("Failed at or after this time (RFC 3339)."),
  until: instant.optional().describe("Failed at or before this time (RFC 3339)."),
};
/** The filter names before the API used `...Id` for every reference; read for one minor version. */
const deprecatedFilterFields = {
  platform: deprecatedAlias(z.string().min(1).max(64), "platformId"),
  org: deprecatedAlias(z.string().min(1).max(64), "orgId"),
  endpoint: deprecatedAlias(z.string().min(1).max(64), "endpointId"),
};
type FilterInput = { platform?: string | undefined; org?: string | undefined; endpoint?: string | undefined };

/** Reads a deprecated filter name as its `...Id` replacement, which wins when both are given. */
function withIds<T extends FilterInput & { platformId?: string; orgId?: string; endpointId?: string }>(
  input: T,
): Omit<T, keyof FilterInput> {
  const { platform, org, endpoint, ...rest } = input;
  return {
    ...rest,
    ...((rest.platformId ?? platform) ? { platformId: rest.platformId ?? platform } : {}),
    ...((rest.orgId ?? org) ? { orgId: rest.orgId ?? org } : {}),
    ...((rest.endpointId ?? endpoint) ? { endpointId: rest.endpointId ?? endpoint } : {}),
  };
}

/** Which failed work an operator means. Every field narrows; none means all failed work. */
export const failureFilterSchema = z
  .strictObject({ ...filterFields, ...deprecatedFilterFields })
  .transform(withIds)
  .openapi("FailureFilter", { description: "Selects failed work; fields combine with AND." });
export type FailureFilter = z.infer<typeof failureFilterSchema>;

export const failureIdSchema = z
  .string()
  .regex(/^(signals|deliveries):.{1,300}$/)
  .openapi({
    description: "`<queue>:<job id>`; URL-encode it in paths.",
    example: "signals:platform-a|sig-1",
  });

export const failureSchema = z
  .object({
    id: failureIdSchema,
    queue: z.enum(opsQueues),
    reason: z.string().describe("Machine-readable reason: the code the failing stage gave, else `error`."),
    error: z.string().describe("The last error message, shortened."),
    failedAt: instant,
    attempts: z.number().int().describe("Attempts made before the work failed."),
    type: z.string().describe("Signal type or event type."),
    platformId: z.string().optional().describe("For signals: the platform that sent it."),
    orgId: z.string().optional().describe("For deliveries: the organization it was for."),
    endpointId: z.string().optional().describe("For deliveries: the webhook endpoint."),
    platform: deprecatedAlias(z.string(), "platformId"),
    org: deprecatedAlias(z.string(), "orgId"),
    endpoint: deprecatedAlias(z.string(), "endpointId"),
    signalId: z.string().optional().describe("For signals: the platform's signal id."),
    messageId: z.string().optional().describe("For deliveries: the `webhook-id`, the same on every replay."),
  })
  .openapi("Failure", { description: "One piece of failed work." });
export type Failure = z.infer<typeof failureSchema>;

export const attemptSchema = z
  .object({
    attempt: z.number().int().optional(),
    attemptedAt: instant.optional().describe("When the attempt started."),
    at: deprecatedAlias(instant, "attemptedAt"),
    outcome: z.string().optional(),
    status: z.number().int().optional().describe("HTTP status the receiver answered, for deliveries."),
    error: z.string().optional(),
  })
  .openapi("FailureAttempt");

export const messageStates = ["pending", "active", "retrying", "delivered", "failed", "removed"] as const;

export const opsAttemptSchema = z
  .object({
    messageId: z.string().describe("The message (`webhook-id`) the attempt sent."),
    endpointId: z.string().describe("The endpoint the attempt went to."),
    attempt: z.number().int().describe("1 for a message's first attempt; a replay starts again at 1."),
    attemptedAt: instant.describe("When the attempt started."),
    outcome: z.enum(["success", "retry", "fail", "disable"]).describe("What the gateway made of the answer."),
    status: z.number().int().optional().describe("HTTP status the receiver answered, if it answered."),
    latencyMs: z.number().int().describe("How long the attempt took."),
    error: z.string().optional().describe("Why the attempt failed, shortened; never the response body."),
  })
  .openapi("OpsAttempt", {
    description: "One delivery attempt as operators see it: the receiver's response body is left out.",
  });
export type OpsAttempt = z.infer<typeof opsAttemptSchema>;

export const messageAttemptsSchema = z
  .object({
    messageId: z.string(),
    orgId: z.string(),
    endpointId: z.string().optional().describe("Absent when the message's job is gone and the log is empty."),
    type: z.string().optional().describe("Event type, while the message's job is kept."),
    state: z
      .enum(messageStates)
      .describe(
        "`pending` (no attempt yet), `active` (an attempt running), `retrying` (waiting for the next attempt), `delivered`, `failed` (kept for replay), or `removed` (the job is gone; the attempt log remains for 30 days).",
      ),
    items: z.array(opsAttemptSchema).describe("The message's attempts, newest first (the last 50 are kept)."),
    nextCursor: nextCursorSchema,
  })
  .openapi("MessageAttempts", { description: "A message's state and every attempt at sending it." });
export type MessageAttempts = z.infer<typeof messageAttemptsSchema>;

export const endpointAttemptsSchema = pageSchema(
  opsAttemptSchema,
  "EndpointAttempt",
  "newest first (the last 1000 are kept)",
);
export type EndpointAttempts = z.infer<typeof endpointAttemptsSchema>;

export const failureDetailSchema = failureSchema
  .extend({
    receivedAt: instant.optional().describe("When the gateway accepted the signal or created the message."),
    attemptLog: z.array(attemptSchema).describe("What is known of each attempt, oldest first."),
  })
  .openapi("FailureDetail", {
    description: "One failure with its attempts. Personal data of the worker is never shown.",
  });
export type FailureDetail = z.infer<typeof failureDetailSchema>;

export const failureQuerySchema = z
  .strictObject({ ...filterFields, ...deprecatedFilterFields, ...pageQuerySchema.shape })
  .transform(withIds);

export const failurePageSchema = pageSchema(
  failureSchema,
  "Failure",
  "newest failure first; a page may hold fewer than `limit` items while `nextCursor` is set, since each request examines a bounded number of failures",
  { next: deprecatedAlias(z.string().nullable(), "nextCursor") },
);

export const replayRequestSchema = z
  .strictObject({
    ids: z.array(failureIdSchema).min(1).max(1000).optional().describe("Replay exactly these items."),
    filter: failureFilterSchema.optional().describe("Replay every failure the filter selects."),
    dryRun: z.boolean().default(false).describe("Only count what would be replayed."),
  })
  .openapi("ReplayRequest", { description: "Give `ids` or `filter` (an empty filter means all failures)." });

export const replayStatuses = ["queued", "running", "completed", "failed"] as const;
export const replaySchema = z
  .object({
    id: z.string(),
    status: z.enum(replayStatuses),
    total: z.number().int().describe("Items selected when the replay was requested."),
    done: z.number().int().describe("Items replayed."),
    skipped: z.number().int().describe("Items that were no longer failed (already replayed, or removed)."),
    failed: z.number().int().describe("Items whose replay raised an error."),
    operator: z.string(),
    filter: failureFilterSchema.optional(),
    ids: z.array(z.string()).optional(),
    createdAt: instant,
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
    error: z.string().optional().describe("Why the replay job itself failed."),
  })
  .openapi("Replay", { description: "A bulk replay running in the background." });
export type Replay = z.infer<typeof replaySchema>;

export const dryRunSchema = z
  .object({ dryRun: z.literal(true), count: z.number().int() })
  .openapi("ReplayDryRun", { description: "How many items a replay with this selection would replay now." });

export const auditEntrySchema = z
  .object({
    id: z.string().describe("Stream id; ordered by time."),
    recordedAt: instant.describe("When the action was recorded."),
    at: deprecatedAlias(instant, "recordedAt"),
    operator: z.string().describe("The operator's name, or the platform's id for `worker.erase`."),
    role: z.enum(["viewer", "operator", "platform"]),
    action: z
      .string()
      .describe(
        "`replay`, `replay.dry_run`, `replay.finished`, `org.put`, `queues.<method>`, `worker.erase`...",
      ),
    outcome: z.string().describe("`accepted`, `completed`, `denied`, `failed`..."),
    count: z.number().int(),
    filter: failureFilterSchema.optional(),
    ids: z.array(z.string()).optional(),
    target: z.string().optional().describe("What the action was about: a replay id, an org id, a path."),
    detail: z.string().optional(),
  })
  .openapi("AuditEntry", { description: "One operator action; the log is append-only." });
export type AuditEntry = z.infer<typeof auditEntrySchema>;

export const auditQuerySchema = pageQuerySchema.extend({
  operator: z.string().max(64).optional().describe("Only this operator's actions."),
  action: z.string().max(64).optional().describe("Only this action."),
  since: instant.optional().describe("Recorded at or after this time."),
});

export const auditPageSchema = pageSchema(auditEntrySchema, "AuditEntry", "newest first", {
  next: deprecatedAlias(z.string().nullable(), "nextCursor"),
});
export const principalSchema = z
  .discriminatedUnion("kind", [
    z.strictObject({ kind: z.literal("platform"), id: z.string().min(1).max(64) }),
    z.strictObject({ kind: z.literal("org"), id: z.string().min(1).max(64) }),
    z.strictObject({
      kind: z.literal("operator"),
      name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/),
      role: z.enum(["viewer", "operator"]),
    }),
  ])
  .openapi("Principal", { description: "Who a key belongs to: a platform, an org, or an operator." });

export const credentialIdSchema = z
  .string()
  .regex(/^key_[0-9a-f]{16}$/)
  .describe("`key_` and the first 16 hex digits of the key's SHA-256; names a key without revealing it.");

export const credentialSchema = z
  .object({
    id: credentialIdSchema,
    principal: principalSchema,
    source: z.enum(["config", "redis"]).describe("In the configuration file, or made at run time."),
    createdAt: instant.nullable().describe("Unknown (null) for configured keys."),
    expiresAt: instant.nullable(),
    revoked: z.boolean().describe("Revoked through the API or CLI, or listed in `revokedKeyHashes`."),
    revokedAt: instant.nullable(),
    lastUsedAt: instant
      .nullable()
      .describe("Last accepted use, to within a minute; null if never used since tracking began."),
  })
  .openapi("Credential", { description: "An API key or operator token; never the key itself." });

export const credentialListQuerySchema = pageQuerySchema.extend({
  kind: z.enum(["platform", "org", "operator"]).optional(),
});

export const credentialCreateSchema = z
  .strictObject({
    principal: principalSchema,
    expiresIn: z
      .string()
      .regex(/^\d+(s|m|h|d)$/)
      .optional()
      .describe('Lifetime, such as "30m", "12h", "90d"; without it the key lasts until revoked.'),
  })
  .openapi("CredentialCreate");

export const createdCredentialSchema = credentialSchema
  .extend({ key: z.string().describe("The key itself: shown only in this answer.") })
  .openapi("CreatedCredential");
