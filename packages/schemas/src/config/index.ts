import { z } from "zod";
import { type Labels, labelledEnum } from "../enums/index.js";
import { eventTypeSchema, eventTypes } from "../events/index.js";
import {
  endpointIdSchema,
  orgIdSchema,
  platformIdSchema,
  regionPrefixSchema,
  stationIdSchema,
} from "../primitives/index.js";
import type { TaskKind } from "../tasks/index.js";
import { DAY, durationSchema, HOUR, MINUTE, SECOND } from "./duration.js";

export { DAY, durationSchema, formatDuration, HOUR, MINUTE, parseDuration, SECOND } from "./duration.js";

const sha256Hash = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, { message: 'must be "sha256:" followed by 64 lowercase hex digits' })
  .meta({
    description:
      "SHA-256 of a secret (API key or operator token) as `sha256:<64 hex>`; the secret itself is never stored.",
  });

export const rateLimitSchema = z
  .strictObject({
    perSecond: z.number().int().positive().describe("Sustained signals per second."),
    burst: z.number().int().positive().describe("Bucket size: signals allowed at once."),
  })
  .meta({ description: "Token-bucket rate limit." });

export const platformConfigSchema = z
  .strictObject({
    id: platformIdSchema,
    name: z.string().min(1).max(128).describe("Display name of the platform company."),
    keyHashes: z
      .array(sha256Hash)
      .default([])
      .describe("Hashes of the platform's API keys; more than one during key rotation."),
    rateLimit: rateLimitSchema.optional().describe("Overrides `ingest.rateLimit` for this platform."),
  })
  .meta({ description: "A platform (tenant) that sends signals." });

export const orgKinds = [
  "district_committee",
  "street_committee",
  "industry_committee",
  "platform_committee",
  "branch",
  "party_group",
  "online_branch",
] as const;
export type OrgKind = (typeof orgKinds)[number];
export const orgKindLabels: Labels<typeof orgKinds> = {
  district_committee: { en: "District Party committee", zh: "区委" },
  street_committee: { en: "Street working committee", zh: "街道党工委" },
  industry_committee: { en: "Industry Party committee", zh: "行业党委" },
  platform_committee: { en: "Platform company Party committee", zh: "平台企业党委" },
  branch: { en: "Party branch", zh: "党支部" },
  party_group: { en: "Party group", zh: "党小组" },
  online_branch: { en: "Online Party branch", zh: "网络党支部" },
};
export const orgKindSchema = labelledEnum(orgKinds, orgKindLabels, "Kind of Party organization.");

export const orgConfigSchema = z
  .strictObject({
    id: orgIdSchema,
    code: z.string().min(1).max(64).describe("The organization's own code (组织代码)."),
    name: z.string().min(1).max(128).describe("The organization's name."),
    kind: orgKindSchema,
    parent: orgIdSchema.nullable().describe("Parent organization id, or null for a root."),
    regions: z
      .array(regionPrefixSchema)
      .describe("Region prefixes the organization covers; the longest matching prefix wins."),
    platforms: z
      .array(platformIdSchema)
      .default([])
      .describe("If not empty, the organization covers only these platforms' workers in its regions."),
    stations: z
      .array(stationIdSchema)
      .default([])
      .describe("Stations the organization covers; the most specific match."),
    keyHashes: z
      .array(sha256Hash)
      .default([])
      .describe("Hashes of API keys the organization's integrator uses."),
  })
  .meta({ description: "A Party organization: a node in the organization tree." });

export const endpointConfigSchema = z
  .strictObject({
    id: endpointIdSchema,
    org: orgIdSchema.describe("The organization whose events go to this endpoint."),
    url: z
      .url({ protocol: /^https?$/, message: "must be an http or https URL" })
      .describe("Where to POST events."),
    events: z
      .array(eventTypeSchema)
      .min(1)
      .default([...eventTypes])
      .describe("Event types to deliver; all by default."),
    secret: z
      .string()
      // 32..86 base64 digits decode to 24..64 bytes: the key sizes signing accepts.
      .regex(/^whsec_[A-Za-z0-9+/]{32,86}={0,2}$/, {
        message: 'must be "whsec_" followed by base64 of 24 to 64 bytes',
      })
      .describe("Standard Webhooks signing secret: `whsec_` and the base64 of 24 to 64 bytes."),
  })
  .meta({ description: "A webhook endpoint." });

export const operatorConfigSchema = z
  .strictObject({
    name: z.string().min(1).max(64).describe("Who the operator is, for the audit log."),
    role: z
      .enum(["viewer", "operator"])
      .describe("`viewer` may read; `operator` may also replay and change things."),
    tokenHash: sha256Hash,
  })
  .meta({ description: "An operator of the gateway's console and admin API." });

export const deadlineKeys = [
  "register_member",
  "mentor_applicant",
  "transfer_relation",
  "update_roster",
  "follow_up_appeal",
  "follow_up_appeal_urgent",
  "establish_organization",
] as const satisfies readonly (TaskKind | "follow_up_appeal_urgent")[];
export type DeadlineKey = (typeof deadlineKeys)[number];

export const defaultDeadlines: { readonly [K in DeadlineKey]: number } = {
  register_member: 7 * DAY,
  mentor_applicant: 30 * DAY,
  transfer_relation: 14 * DAY,
  update_roster: 30 * DAY,
  follow_up_appeal: 7 * DAY,
  follow_up_appeal_urgent: 1 * DAY,
  establish_organization: 30 * DAY,
};

/** Svix's schedule: immediately, then 5s, 5m, 30m, 2h, 5h, 10h, 10h. */
export const defaultRetrySchedule: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
];

const deadlinesSchema = z
  .strictObject({
    register_member: durationSchema.default(defaultDeadlines.register_member),
    mentor_applicant: durationSchema.default(defaultDeadlines.mentor_applicant),
    transfer_relation: durationSchema.default(defaultDeadlines.transfer_relation),
    update_roster: durationSchema.default(defaultDeadlines.update_roster),
    follow_up_appeal: durationSchema.default(defaultDeadlines.follow_up_appeal).describe("Normal appeals."),
    follow_up_appeal_urgent: durationSchema
      .default(defaultDeadlines.follow_up_appeal_urgent)
      .describe("Urgent appeals."),
    establish_organization: durationSchema.default(defaultDeadlines.establish_organization),
  })
  .prefault({})
  .describe("How long an organization has to acknowledge each kind of task.");

const retrySchema = z
  .strictObject({
    schedule: z
      .array(durationSchema)
      .min(1)
      .default([...defaultRetrySchedule])
      .describe("Delay before each delivery attempt; the first is usually 0."),
    jitter: z
      .number()
      .min(0)
      .max(1)
      .default(0.2)
      .describe("Random spread added to each delay, as a fraction."),
  })
  .prefault({})
  .describe("Webhook delivery retry schedule.");

/**
 * Bounds of `delivery.timeout`. The gateway holds each delivery's queue lock for the timeout plus a
 * margin (see the gateway's delivery worker), so the bound also bounds how long a crashed worker's
 * message waits before another process picks it up.
 */
export const deliveryTimeoutBounds = { min: 100, max: 60 * SECOND } as const;

const deliverySchema = z
  .strictObject({
    timeout: durationSchema
      .refine((ms) => ms >= deliveryTimeoutBounds.min && ms <= deliveryTimeoutBounds.max, {
        message: `must be between ${deliveryTimeoutBounds.min}ms and ${deliveryTimeoutBounds.max / SECOND}s`,
      })
      .default(15 * SECOND)
      .describe(
        "Per-attempt timeout, from connecting to the end of the response; between 100ms and 60s. " +
          "Each delivery's queue lock lasts this long plus a margin, so no second worker sends a message still in flight.",
      ),
    maxResponseBytes: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024)
      .default(1024)
      .describe("How much of an endpoint's response body is stored with the attempt."),
    concurrencyPerEndpoint: z
      .number()
      .int()
      .min(1)
      .max(256)
      .default(4)
      .describe("Parallel deliveries per endpoint."),
    disableAfter: durationSchema
      .default(5 * DAY)
      .describe("Disable an endpoint after failing continuously for this long."),
    rotationOverlap: durationSchema
      .default(24 * HOUR)
      .describe("How long the old secret keeps signing after a rotation."),
    allowNetworks: z
      .array(z.enum(["loopback", "private", "link_local", "metadata"]))
      .default([])
      .describe("Address ranges endpoints may resolve to; all are blocked by default (SSRF protection)."),
  })
  .prefault({})
  .describe("Webhook delivery settings.");

const ingestSchema = z
  .strictObject({
    maxBatch: z.number().int().min(1).max(10_000).default(500).describe("Most signals in one request."),
    maxBodyBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024)
      .describe("Largest request body accepted."),
    idempotencyWindow: durationSchema.default(7 * DAY).describe("How long a signal id is remembered."),
    rateLimit: rateLimitSchema
      .default({ perSecond: 1000, burst: 2000 })
      .describe("Default per-platform limit."),
  })
  .prefault({})
  .describe("Signal ingest limits.");

const auditSchema = z
  .strictObject({ retention: durationSchema.default(90 * DAY).describe("How long audit entries are kept.") })
  .prefault({})
  .describe("Operator audit log.");

const consoleSchema = z
  .strictObject({
    timeZone: z
      .string()
      .min(1)
      .refine((zone) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: zone });
          return true;
        } catch {
          return false;
        }
      }, "must be an IANA time zone, such as Asia/Shanghai")
      .default("Asia/Shanghai")
      .describe("Time zone the console shows dates in."),
    sessionTtl: durationSchema.default(8 * HOUR).describe("How long a console login lasts."),
  })
  .prefault({})
  .describe("The web console at /console.");
const recoverySchema = z
  .strictObject({
    lockDuration: durationSchema
      .default(5 * SECOND)
      .describe(
        "How long a queue job stays locked to its worker without a renewal (renewed every half of it). A job of a process that died is free again after this plus `stalledInterval`.",
      ),
    stalledInterval: durationSchema
      .default(2 * SECOND)
      .describe("How often each queue worker looks for jobs whose lock ran out, and takes them over."),
    maxStalledCount: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(5)
      .describe(
        "How many times a job may be taken over from a dead worker before it fails (processing is idempotent).",
      ),
    pendingClaim: durationSchema
      .default(5 * SECOND)
      .describe(
        "Age after which a signal id claimed by a request that never queued it (its process died) may be claimed again.",
      ),
    slotLeaseMargin: durationSchema
      .default(5 * SECOND)
      .describe(
        "A delivery holds its endpoint slot for `delivery.timeout` plus this; a slot of a process that died is free after it.",
      ),
  })
  .prefault({})
  .describe("How fast work held by a crashed process is taken over; defaults recover within 10 s.");
const retentionSchema = z
  .strictObject({
    tasks: durationSchema
      .default(365 * DAY)
      .describe(
        "How long a completed or cancelled task is kept after it finished; open and acknowledged tasks are never removed.",
      ),
    attempts: durationSchema
      .default(30 * DAY)
      .describe("How long a delivery attempt log is kept after its last attempt."),
    decisions: durationSchema
      .optional()
      .describe(
        "How long the decision taken for a signal is kept, so a retry or replay repeats it; `ingest.idempotencyWindow` by default.",
      ),
    offboardedRecords: durationSchema
      .default(90 * DAY)
      .describe(
        "How long an offboarded worker's record (and points ledger) is kept for late signals and follow-up; onboarding again keeps it for good.",
      ),
    sweepEvery: durationSchema
      .default(HOUR)
      .describe("How often a `work` process removes finished tasks past `tasks`."),
  })
  .prefault({})
  .describe("How long finished things are kept. The operator audit log has its own `audit.retention`.");

const ipAddress = z.union([z.ipv4(), z.ipv6()]);
/** An IP address, or a CIDR range: an address, `/` and a prefix length that fits it. */
const ipOrCidr = z
  .string()
  .refine(
    (text) => {
      const [address, bits, ...more] = text.split("/");
      if (more.length > 0 || !ipAddress.safeParse(address).success) return false;
      if (bits === undefined) return true;
      const max = (address as string).includes(":") ? 128 : 32;
      return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
    },
    { message: "must be an IP address or a CIDR range such as 10.0.0.0/8" },
  )
  .meta({ description: "An IP address or CIDR range (IPv4 or IPv6)." });

const httpSchema = z
  .strictObject({
    trustedProxies: z
      .array(ipOrCidr)
      .default([])
      .describe(
        "Addresses (IP or CIDR) of load balancers whose `X-Forwarded-For`, `-Proto` and `-Host` headers are believed; none by default, so the headers are ignored.",
      ),
    shutdownDelay: durationSchema
      .default(5 * SECOND)
      .describe(
        "On SIGTERM, how long `/readyz` answers 503 while requests are still served, so load balancers stop sending new ones before the listener closes.",
      ),
  })
  .prefault({})
  .describe("HTTP serving behind load balancers.");

function duplicates<T>(values: readonly T[]): Set<T> {
  const seen = new Set<T>();
  const dup = new Set<T>();
  for (const value of values) (seen.has(value) ? dup : seen).add(value);
  return dup;
}

export const gatewayConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe("Editor hint; ignored."),
    platforms: z
      .array(platformConfigSchema)
      .describe("The platforms that send signals, each with the hashes of its API keys."),
    orgs: z
      .array(orgConfigSchema)
      .describe(
        "The Party organization tree: each org with its parent, the regions, platforms and stations it covers, and its key hashes.",
      ),
    endpoints: z
      .array(endpointConfigSchema)
      .default([])
      .describe("Webhook endpoints set in the configuration; orgs add more through `/v1/endpoints`."),
    operators: z
      .array(operatorConfigSchema)
      .default([])
      .describe("Operators of the console and `/v1/ops`, each with a role and a token hash."),
    revokedKeyHashes: z
      .array(sha256Hash)
      .default([])
      .describe(
        "Hashes of keys and operator tokens that must no longer work (a leaked key listed in `keyHashes` or `tokenHash`, or one made with `gigbridge keys create`); every gateway process refuses them.",
      ),
    deadlines: deadlinesSchema,
    retry: retrySchema,
    delivery: deliverySchema,
    ingest: ingestSchema,
    audit: auditSchema,
    console: consoleSchema,
    recovery: recoverySchema,
    http: httpSchema,
    retention: retentionSchema,
  })
  .superRefine((config, ctx) => {
    const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: "custom", path, message });

    const platformIds = new Set(config.platforms.map((p) => p.id));
    const dupPlatforms = duplicates(config.platforms.map((p) => p.id));
    config.platforms.forEach((p, i) => {
      if (dupPlatforms.has(p.id)) issue(["platforms", i, "id"], "platform id is used more than once");
    });

    const orgsById = new Map(config.orgs.map((o) => [o.id, o]));
    const dupOrgs = duplicates(config.orgs.map((o) => o.id));
    config.orgs.forEach((org, i) => {
      if (dupOrgs.has(org.id)) issue(["orgs", i, "id"], "org id is used more than once");
      if (org.parent !== null && !orgsById.has(org.parent)) {
        issue(["orgs", i, "parent"], "parent must be the id of a configured org");
      }
      org.platforms.forEach((platform, j) => {
        if (!platformIds.has(platform))
          issue(["orgs", i, "platforms", j], "must be the id of a configured platform");
      });
    });

    // Walk up from each org until the root or an org seen before; an org on a cycle walks back to itself.
    // Orgs that merely hang below a cycle are not reported: fixing the cycle fixes them.
    config.orgs.forEach((org, i) => {
      const seen = new Set<string>([org.id]);
      let parent = org.parent;
      while (parent !== null && !seen.has(parent)) {
        seen.add(parent);
        parent = orgsById.get(parent)?.parent ?? null;
      }
      if (parent === org.id) issue(["orgs", i, "parent"], "org parents form a cycle");
    });

    const dupEndpoints = duplicates(config.endpoints.map((e) => e.id));
    config.endpoints.forEach((endpoint, i) => {
      if (dupEndpoints.has(endpoint.id)) issue(["endpoints", i, "id"], "endpoint id is used more than once");
      if (!orgsById.has(endpoint.org)) issue(["endpoints", i, "org"], "must be the id of a configured org");
      if (duplicates(endpoint.events).size > 0)
        issue(["endpoints", i, "events"], "event types must not repeat");
    });

    // One key identifies one principal; a hash listed twice would make authentication ambiguous.
    const keyOwners = [
      ...config.platforms.flatMap((p, i) =>
        p.keyHashes.map((h, j) => ({ h, path: ["platforms", i, "keyHashes", j] })),
      ),
      ...config.orgs.flatMap((o, i) => o.keyHashes.map((h, j) => ({ h, path: ["orgs", i, "keyHashes", j] }))),
      ...config.operators.map((o, i) => ({ h: o.tokenHash, path: ["operators", i, "tokenHash"] })),
    ];
    const dupKeys = duplicates(keyOwners.map((k) => k.h));
    for (const key of keyOwners) if (dupKeys.has(key.h)) issue(key.path, "key hash is used more than once");
  })
  .meta({
    id: "GatewayConfig",
    description:
      "The gateway's configuration file: platforms, organizations, endpoints, deadlines and delivery.",
  });

export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type PlatformConfig = GatewayConfig["platforms"][number];
export type OrgConfig = GatewayConfig["orgs"][number];
export type EndpointConfig = GatewayConfig["endpoints"][number];
export type OperatorConfig = GatewayConfig["operators"][number];
