import type { Job } from "bullmq";
import type { Gateway } from "../core/context.js";
import { queues } from "../core/keys.js";
import { type Attempt, listMessageAttempts } from "./attempts.js";
import { MessageNotFoundError } from "./errors.js";
import type { DeliveryJobData } from "./outbox.js";

/** Where a message is: queued (waiting or delayed for a retry), being sent, delivered, or failed. */
export type MessageState = "queued" | "retrying" | "sending" | "delivered" | "failed" | "unknown";

export interface MessageSummary {
  id: string;
  eventId: string;
  orgId: string;
  endpointId: string;
  type: string;
  /** The body's `timestamp`: when the event was created. */
  timestamp: string;
  state: MessageState;
  /** Attempts made since the message was queued or last replayed. */
  attemptsMade: number;
  /** Set when failed: retries_exhausted, endpoint_disabled, endpoint_deleted, network_refused (or a BullMQ reason such as a stall). */
  failedReason?: string;
  /** When a waiting retry is due. */
  nextAttemptAt?: string;
  queuedAt: string;
  finishedAt?: string;
}

export interface MessageDetail extends MessageSummary {
  data: unknown;
  attempts: Attempt[];
}

export interface FailedMessageFilter {
  orgId?: string;
  endpointId?: string;
  /** Only messages that failed for this reason. */
  reason?: string;
  /** At most this many (default 100). */
  limit?: number;
}

const deliveries = (gw: Gateway) => gw.queue("deliveries");

async function summarize(job: Job<DeliveryJobData>): Promise<MessageSummary> {
  const raw = await job.getState();
  const state: MessageState =
    raw === "completed"
      ? "delivered"
      : raw === "failed"
        ? "failed"
        : raw === "active"
          ? "sending"
          : raw === "delayed"
            ? job.attemptsMade > 0
              ? "retrying"
              : "queued"
            : raw === "waiting" || raw === "prioritized"
              ? "queued"
              : "unknown";
  const summary: MessageSummary = {
    id: job.data.msgId,
    eventId: job.data.eventId,
    orgId: job.data.orgId,
    endpointId: job.data.endpointId,
    type: job.data.type,
    timestamp: job.data.timestamp,
    state,
    attemptsMade: job.attemptsMade,
    queuedAt: new Date(job.timestamp).toISOString(),
  };
  if (state === "failed" && job.failedReason) summary.failedReason = job.failedReason;
  if (raw === "delayed") summary.nextAttemptAt = new Date(job.timestamp + job.delay).toISOString();
  if (job.finishedOn) summary.finishedAt = new Date(job.finishedOn).toISOString();
  return summary;
}

async function findJob(gw: Gateway, id: string): Promise<Job<DeliveryJobData>> {
  const job = (await deliveries(gw).getJob(id)) as Job<DeliveryJobData> | undefined;
  if (!job?.data?.msgId) throw new MessageNotFoundError(id);
  return job;
}

/** One message with its body data and every attempt (for operators, and for orgs through their own endpoints). */
export async function getMessage(gw: Gateway, id: string): Promise<MessageDetail> {
  const job = await findJob(gw, id);
  const [summary, attempts] = await Promise.all([
    summarize(job),
    listMessageAttempts(gw, job.data.orgId, id),
  ]);
  return { ...summary, data: job.data.data, attempts };
}

/** Failed messages, most recent first, filtered by org, endpoint or reason. */
export async function listFailedMessages(
  gw: Gateway,
  filter: FailedMessageFilter = {},
): Promise<MessageSummary[]> {
  const limit = filter.limit ?? 100;
  const found: MessageSummary[] = [];
  const page = 500;
  for (let start = 0; found.length < limit; start += page) {
    const jobs = (await deliveries(gw).getFailed(start, start + page - 1)) as Job<DeliveryJobData>[];
    for (const job of jobs) {
      if (!job?.data?.msgId) continue;
      if (filter.orgId && job.data.orgId !== filter.orgId) continue;
      if (filter.endpointId && job.data.endpointId !== filter.endpointId) continue;
      if (filter.reason && job.failedReason !== filter.reason) continue;
      found.push(await summarize(job));
      if (found.length >= limit) break;
    }
    if (jobs.length < page) break;
  }
  return found;
}

export interface ReplayResult {
  id: string;
  /** False when the message was already queued or being sent: nothing was added. */
  replayed: boolean;
  state: MessageState;
}

/**
 * Sends a failed (or delivered) message again under the same message id, so the
 * receiver sees the same `webhook-id` and can deduplicate. The retry schedule
 * starts over. A message that is already queued or being sent is left alone.
 * Enable a disabled endpoint first, or the replay fails again at once.
 */
export async function replayMessage(gw: Gateway, id: string): Promise<ReplayResult> {
  const job = await findJob(gw, id);
  const state = await job.getState();
  if (state !== "failed" && state !== "completed") {
    gw.metrics.replays.inc({ queue: queues.deliveries.name, outcome: "already_queued" });
    return { id, replayed: false, state: (await summarize(job)).state };
  }
  try {
    await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
  } catch {
    // Another replay moved it first.
    gw.metrics.replays.inc({ queue: queues.deliveries.name, outcome: "already_queued" });
    return { id, replayed: false, state: (await summarize(await findJob(gw, id))).state };
  }
  gw.metrics.replays.inc({ queue: queues.deliveries.name, outcome: "replayed" });
  return { id, replayed: true, state: "queued" };
}

/** Replays every failed message matching `filter` (Svix's "recover"), e.g. after re-enabling an endpoint. */
export async function replayFailedMessages(
  gw: Gateway,
  filter: FailedMessageFilter = {},
): Promise<ReplayResult[]> {
  const failed = await listFailedMessages(gw, { limit: 1000, ...filter });
  const results: ReplayResult[] = [];
  for (const message of failed) results.push(await replayMessage(gw, message.id));
  return results;
}
