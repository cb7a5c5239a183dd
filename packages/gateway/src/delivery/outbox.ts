import { createHash } from "node:crypto";
import type { EventData, EventType } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import type { TraceContext } from "../core/tracing.js";
import { indexMessages } from "../erasure/tombstone.js";
import { endpointsFor } from "./endpoints.js";

/** The custom BullMQ backoff type the delivery worker resolves against `retry.schedule`. */
export const DELIVERY_BACKOFF = "gigbridge-schedule";
/**
 * BullMQ's own attempt cap, set high on purpose: the worker reads the retry
 * schedule from the configuration at each failure and fails the message itself
 * with `retries_exhausted`, so a changed schedule applies to queued messages too.
 */
export const MAX_JOB_ATTEMPTS = 1000;
/** Delivered messages (and so their deduplication by id) are kept this long. */
export const DELIVERED_RETENTION_SECONDS = 7 * 24 * 3600;

/** What a delivery job carries: enough to rebuild the same body on every attempt. */
export interface DeliveryJobData {
  /** The Standard Webhooks `webhook-id`, the same on every attempt and replay. */
  msgId: string;
  eventId: string;
  orgId: string;
  endpointId: string;
  type: EventType;
  /** When the event was created (RFC 3339); the body's `timestamp`. */
  timestamp: string;
  data: unknown;
  /** The trace of what caused the event (a signal's intake and processing); sent as `traceparent`. */
  trace?: TraceContext;
}

/** An event for an org, as processing produces it. Enqueueing the same `eventId` twice sends it once. */
export interface OutboundEvent<T extends EventType = EventType> {
  eventId: string;
  orgId: string;
  type: T;
  data: EventData<T>;
  /** When the event happened; now by default. */
  timestamp?: string;
  /** An endpoint not to send it to (the one an `endpoint.disabled` event is about). */
  except?: string;
}

/** The message id for one event at one endpoint: deterministic, so retries and replays of the producer add nothing. */
export function messageId(eventId: string, endpointId: string): string {
  return `msg_${createHash("sha256").update(eventId).update("\n").update(endpointId).digest("hex").slice(0, 32)}`;
}

/** The webhook body: `{type, timestamp, data}`. */
export function webhookBody(job: Pick<DeliveryJobData, "type" | "timestamp" | "data">): string {
  return JSON.stringify({ type: job.type, timestamp: job.timestamp, data: job.data });
}

/** BullMQ options of a delivery job. */
export function deliveryJobOptions(gw: Gateway, msgId: string) {
  return {
    jobId: msgId,
    delay: gw.config.retry.schedule[0] ?? 0,
    attempts: MAX_JOB_ATTEMPTS,
    backoff: { type: DELIVERY_BACKOFF },
    removeOnComplete: { age: DELIVERED_RETENTION_SECONDS },
    // Failed messages stay until an operator replays or removes them.
    removeOnFail: false,
  };
}

/**
 * Queues `event` for every enabled endpoint of its org that subscribes to its
 * type: one job per endpoint, with job id = message id. Calling this again for
 * the same event (a retried processing job, a replayed signal) adds nothing
 * while the first message is kept, so nothing is sent twice.
 */
export async function enqueueEvent(
  gw: Gateway,
  event: OutboundEvent,
  trace?: TraceContext,
): Promise<{ messageIds: string[] }> {
  const endpoints = (await endpointsFor(gw, event.orgId, event.type)).filter((e) => e.id !== event.except);
  if (endpoints.length === 0) return { messageIds: [] };
  const timestamp = event.timestamp ?? new Date(gw.now()).toISOString();
  const jobs = endpoints.map((endpoint) => {
    const msgId = messageId(event.eventId, endpoint.id);
    const data: DeliveryJobData = {
      msgId,
      eventId: event.eventId,
      orgId: event.orgId,
      endpointId: endpoint.id,
      type: event.type,
      timestamp,
      data: event.data,
      ...(trace ? { trace } : {}),
    };
    return { name: event.type, data, opts: deliveryJobOptions(gw, msgId) };
  });
  // Noted under the worker before it is queued, so an erasure that runs meanwhile finds the message.
  const subjectId = subjectOf(event);
  if (subjectId)
    await indexMessages(
      gw.redis,
      subjectId,
      jobs.map((job) => job.data),
    );
  // One endpoint (the usual case) is one command; addBulk would build an ioredis pipeline for it.
  const [only] = jobs;
  if (jobs.length === 1 && only) await gw.queue("deliveries").add(only.name, only.data, only.opts);
  else await gw.queue("deliveries").addBulk(jobs);
  return { messageIds: jobs.map((job) => job.data.msgId) };
}

/** The worker an event is about, if any: the task's subject, or the subject in the data. */
function subjectOf(event: OutboundEvent): string | undefined {
  const data = event.data as { task?: { subjectId?: string }; subjectId?: string };
  return data.task?.subjectId ?? data.subjectId;
}
