import type { Job } from "bullmq";
import type { Gateway } from "../core/context.js";
import { ValidationError } from "../core/errors.js";
import { keys } from "../core/keys.js";
import { listMessageAttempts } from "../delivery/attempts.js";
import type { DeliveryJobData } from "../delivery/outbox.js";
import type { SignalJob } from "../ingest/intake.js";
import { redactAttempt } from "./attempts.js";
import type { FailureDetail, OpsQueue } from "./schemas.js";

/**
 * What the console knows about each queue whose failed jobs operators read and
 * replay: how to describe a failed job without personal data, and what its
 * attempts were. Both queues keep failed jobs in BullMQ's failed set, so the
 * listing and the replay are the same for both.
 */
export interface FailureSource {
  queue: OpsQueue;
  /** Fields the source can filter on; a filter on another field excludes the queue. */
  fields: ReadonlySet<"platformId" | "orgId" | "endpointId">;
  describe(job: Job, failedAt: number): Omit<FailureDetail, "attemptLog" | "receivedAt">;
  detail(gw: Gateway, job: Job, failedAt: number): Promise<FailureDetail>;
}

const MAX_ERROR = 500;

/**
 * The machine-readable reason in a `failedReason`: a `snake_case` code with at least one
 * underscore that is the whole text or comes before a `:`, else `error`. A free-text message
 * ("attempt 3 failed: …") must not turn its first word into a reason operators filter on.
 */
export function reasonOf(failedReason: string | undefined): string {
  const code = failedReason?.match(/^([a-z][a-z0-9]*(?:_[a-z0-9]+)+)(?=$|:)/)?.[1];
  // No longer than the `reason` filter accepts, so every reason shown can be filtered on.
  return code && code.length <= 64 ? code : "error";
}

function shorten(text: string | undefined, max = MAX_ERROR): string {
  const value = text ?? "";
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** The message of a stored stack trace, without the error's class name; the frames are for the logs. */
function messageOf(stack: string): string {
  return shorten(stack.split("\n", 1)[0]?.replace(/^[A-Za-z]*Error: /, ""));
}

const signals: FailureSource = {
  queue: "signals",
  fields: new Set(["platformId"]),
  describe(job, failedAt) {
    const data = job.data as Partial<SignalJob>;
    return {
      id: `signals:${job.id}`,
      queue: "signals",
      reason: reasonOf(job.failedReason),
      error: shorten(job.failedReason),
      failedAt: new Date(failedAt).toISOString(),
      attempts: job.attemptsMade,
      type: data.signal?.type ?? job.name,
      ...(data.platformId ? { platformId: data.platformId, platform: data.platformId } : {}),
      ...(data.signal?.id ? { signalId: data.signal.id } : {}),
    };
  },
  async detail(gw, job, failedAt) {
    const data = job.data as Partial<SignalJob>;
    // BullMQ keeps one stack per failed attempt (the last few); only their message lines are shown.
    const stacks = (job.stacktrace ?? []).filter((s): s is string => typeof s === "string");
    // Processing explains a failure (free of personal data) on the signal's status, which platforms read too.
    const explained =
      data.platformId && data.signal?.id
        ? await gw.redis.hget(keys.signal(data.platformId, data.signal.id), "failureDetail")
        : null;
    const described = this.describe(job, failedAt);
    return {
      ...described,
      ...(explained ? { error: shorten(`${described.reason}: ${explained}`) } : {}),
      ...(data.receivedAt ? { receivedAt: new Date(data.receivedAt).toISOString() } : {}),
      attemptLog: stacks.map((stack) => ({ outcome: "failed", error: messageOf(stack) })),
    };
  },
};

const deliveries: FailureSource = {
  queue: "deliveries",
  fields: new Set(["orgId", "endpointId"]),
  describe(job, failedAt) {
    const data = job.data as Partial<DeliveryJobData>;
    return {
      id: `deliveries:${job.id}`,
      queue: "deliveries",
      reason: reasonOf(job.failedReason),
      error: shorten(job.failedReason),
      failedAt: new Date(failedAt).toISOString(),
      attempts: job.attemptsMade,
      type: data.type ?? job.name,
      ...(data.orgId ? { orgId: data.orgId, org: data.orgId } : {}),
      ...(data.endpointId ? { endpointId: data.endpointId, endpoint: data.endpointId } : {}),
      ...(data.msgId ? { messageId: data.msgId } : {}),
    };
  },
  async detail(gw, job, failedAt) {
    const data = job.data as Partial<DeliveryJobData>;
    const attempts = data.orgId && data.msgId ? await listMessageAttempts(gw, data.orgId, data.msgId) : [];
    return {
      ...this.describe(job, failedAt),
      receivedAt: new Date(job.timestamp).toISOString(),
      // Redacted as in the attempts views: no response body, errors shortened.
      attemptLog: attempts.map(redactAttempt).map(({ attempt, attemptedAt, outcome, status, error }) => ({
        attempt,
        attemptedAt,
        at: attemptedAt,
        outcome,
        ...(status === undefined ? {} : { status }),
        ...(error === undefined ? {} : { error }),
      })),
    };
  },
};

export const sources: Record<OpsQueue, FailureSource> = { signals, deliveries };

/** An item id is `<queue>:<job id>`, so it names one job without a lookup. */
export function parseItemId(id: string): { source: FailureSource; jobId: string } {
  const at = id.indexOf(":");
  const queue = id.slice(0, at);
  const jobId = id.slice(at + 1);
  if (at < 0 || !(queue in sources) || jobId.length === 0) {
    throw new ValidationError("Not a failure id.", [
      { pointer: "/id", detail: "must be `signals:<job id>` or `deliveries:<job id>`" },
    ]);
  }
  return { source: sources[queue as OpsQueue], jobId };
}
