import type { Gateway } from "../core/context.js";
import { NotFoundError } from "../core/errors.js";
import {
  type Attempt,
  type AttemptPosition,
  attemptCursor,
  listEndpointAttempts,
  listMessageAttempts,
  pageOf,
} from "../delivery/attempts.js";
import { findEndpoint } from "../delivery/endpoints.js";
import type { DeliveryJobData } from "../delivery/outbox.js";
import type { EndpointAttempts, MessageAttempts, OpsAttempt } from "./schemas.js";

/**
 * Delivery attempts as operators read them, whatever became of the message:
 * delivered, still retrying, or failed. The attempt logs are delivery's own
 * (`gb:{eo:<org>}:...:attempts`); this only reads them, with the redaction of
 * the failures view.
 */

const MAX_ERROR = 500;

/** The failures view's redaction: the receiver's response body is its data, not the operator's; errors are shortened. */
export function redactAttempt(attempt: Attempt): OpsAttempt {
  const error = attempt.error;
  return {
    messageId: attempt.messageId,
    endpointId: attempt.endpointId,
    attempt: attempt.attempt,
    attemptedAt: attempt.attemptedAt,
    outcome: attempt.outcome,
    ...(attempt.status === undefined ? {} : { status: attempt.status }),
    latencyMs: attempt.latencyMs,
    ...(error === undefined
      ? {}
      : { error: error.length > MAX_ERROR ? `${error.slice(0, MAX_ERROR - 1)}…` : error }),
  };
}

type JobState = Awaited<ReturnType<import("bullmq").Job["getState"]>>;

/** A message's state from its job's: "retrying" once an attempt was made, "pending" before. */
export function messageState(jobState: JobState | undefined, attemptsMade: number): MessageAttempts["state"] {
  switch (jobState) {
    case undefined:
    case "unknown":
      return "removed";
    case "completed":
      return "delivered";
    case "failed":
      return "failed";
    case "active":
      return "active";
    default:
      return attemptsMade > 0 ? "retrying" : "pending";
  }
}

/**
 * A message's state and attempts. The org comes from the message's job; once the job is
 * gone (delivered messages are kept 7 days) give `org` to read the log that remains.
 */
export async function messageAttempts(
  gw: Gateway,
  messageId: string,
  org: string | undefined,
  page: { limit: number; after?: AttemptPosition | undefined },
): Promise<MessageAttempts> {
  const job = await gw.queue("deliveries").getJob(messageId);
  const data = job?.data as Partial<DeliveryJobData> | undefined;
  if (job && org && data?.orgId !== org) throw notFound(messageId, org);
  const orgId = org ?? data?.orgId;
  if (!orgId) throw notFound(messageId);
  const [state, log] = await Promise.all([job?.getState(), listMessageAttempts(gw, orgId, messageId)]);
  if (!job && log.length === 0) throw notFound(messageId, org);
  const endpointId = data?.endpointId ?? log[0]?.endpointId;
  return {
    messageId,
    orgId,
    ...(endpointId ? { endpointId } : {}),
    ...(data?.type ? { type: data.type } : {}),
    state: messageState(state, job?.attemptsMade ?? 0),
    ...pageItems(log, page),
  };
}

/** A page of a log (oldest first as stored), newest first, redacted. */
function pageItems(log: Attempt[], page: { limit: number; after?: AttemptPosition | undefined }) {
  const { items, next } = pageOf([...log].reverse(), page.after, page.limit);
  return { items: items.map(redactAttempt), nextCursor: next ? attemptCursor(next) : null };
}

function notFound(messageId: string, org?: string): NotFoundError {
  return new NotFoundError(
    org
      ? `No message ${messageId} for org ${org}, and no attempts logged for it.`
      : `No message ${messageId}; its job may be gone: give the org to read its attempt log.`,
  );
}

/** A page of an endpoint's attempts, newest first; 404 for an endpoint that neither exists nor has a log. */
export async function endpointAttempts(
  gw: Gateway,
  orgId: string,
  endpointId: string,
  page: { limit: number; after?: AttemptPosition | undefined },
): Promise<EndpointAttempts> {
  const [found, log] = await Promise.all([
    findEndpoint(gw, orgId, endpointId),
    listEndpointAttempts(gw, orgId, endpointId, page),
  ]);
  if (!found && log.items.length === 0)
    throw new NotFoundError(`No endpoint ${endpointId} for org ${orgId}.`);
  return { items: log.items.map(redactAttempt), nextCursor: log.next ? attemptCursor(log.next) : null };
}
