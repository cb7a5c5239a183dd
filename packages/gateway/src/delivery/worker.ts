import { DelayedError, type Job, UnrecoverableError, Worker, type WorkerOptions } from "bullmq";
import type { Agent } from "undici";
import type { Gateway } from "../core/context.js";
import { queues } from "../core/keys.js";
import { inSpan, SpanKind, SpanStatusCode } from "../core/tracing.js";
import { recoveryOptions, type WorkerHandle, workerHandle } from "../core/worker-handle.js";
import { type HealthAfter, settleAttempt } from "./attempts.js";
import { acquireSlot, releaseSlot } from "./concurrency.js";
import { attemptOnce, deliveryAgent } from "./deliver.js";
import { findEndpoint } from "./endpoints.js";
import { type DisabledReason, noteOnBoard } from "./health.js";
import { deliveryKeys } from "./keys.js";
import { deliveryLockMs } from "./lock.js";
import { deliveryMetrics } from "./metrics.js";
import type { LookupAll } from "./network.js";
import { DELIVERY_BACKOFF, type DeliveryJobData, enqueueEvent, webhookBody } from "./outbox.js";
import { isLastAttempt, nextDelayMs, retryDelayMs } from "./schedule.js";
import type { AttemptResult } from "./send.js";

/** Why a message ended in the failed set; the job's `failedReason`. */
export type FailureReason =
  | "retries_exhausted"
  | "endpoint_disabled"
  | "endpoint_deleted"
  | "network_refused";

/** A failed attempt that will be retried; carries the receiver's `Retry-After` to the backoff strategy. */
export class AttemptFailedError extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = "AttemptFailedError";
  }
}

export interface DeliveryWorkerOptions {
  /** Deliveries this process runs at once, across endpoints. Default 64. */
  concurrency?: number;
  /** Name resolution for the delivery agent (tests). */
  lookup?: LookupAll;
  /**
   * Called once when the gateway disables an endpoint (410 or failing for `delivery.disableAfter`).
   * Default: an `endpoint.disabled` event to the organization's other endpoints.
   */
  onEndpointDisabled?: (event: {
    orgId: string;
    endpointId: string;
    reason: DisabledReason;
    at: string;
  }) => void;
  /**
   * Lock settings that replace the derived ones (tests: `skipLockRenewal` stands in for an
   * event loop stalled past every renewal, `lockDuration` for a lock shorter than an attempt).
   */
  lock?: Pick<WorkerOptions, "lockDuration" | "skipLockRenewal" | "stalledInterval">;
}

export type DeliveryWorker = WorkerHandle<Worker<DeliveryJobData>>;

function describe(result: AttemptResult): string {
  return result.status === undefined ? (result.error ?? "no answer") : `HTTP ${result.status}`;
}

/**
 * Consumes `deliveries`: one attempt per run of a job. Retries follow
 * `retry.schedule` through BullMQ's backoff (never earlier than `Retry-After`);
 * when the schedule is exhausted the message fails as `retries_exhausted` and
 * stays in the failed set for replay. At most `delivery.concurrencyPerEndpoint`
 * deliveries run per endpoint across all processes; a job that finds its
 * endpoint busy steps aside without using up an attempt.
 */
export function startDeliveryWorker(gw: Gateway, options: DeliveryWorkerOptions = {}): DeliveryWorker {
  const { name, prefix } = queues.deliveries;
  const agent: Agent = deliveryAgent(gw, options.lookup);
  const metrics = deliveryMetrics(gw);
  const lockMs = deliveryLockMs(gw.config.delivery.timeout);
  // The endpoint slot outlives the job's lock, so a slot never frees while its attempt may still run;
  // a dead process's slot is free `recovery.slotLeaseMargin` after its lock lapsed.
  const leaseMs = lockMs + gw.config.recovery.slotLeaseMargin;

  const disabled = (orgId: string, endpointId: string, reason: DisabledReason) => {
    const at = new Date(gw.now()).toISOString();
    metrics.disabled.inc({ reason });
    gw.logger.warn(
      { orgId, endpointId, reason },
      "endpoint disabled; re-enable it with POST /v1/endpoints/{id}/enable",
    );
    (options.onEndpointDisabled ?? announce)({ orgId, endpointId, reason, at });
  };
  // By default the org hears of it on its other endpoints, as an `endpoint.disabled` event.
  const announce: NonNullable<DeliveryWorkerOptions["onEndpointDisabled"]> = ({
    orgId,
    endpointId,
    reason,
    at,
  }) => {
    enqueueEvent(gw, {
      eventId: `endpoint.disabled:${endpointId}:${at}`,
      orgId,
      type: "endpoint.disabled",
      data: { endpointId, orgId, reason, disabledAt: at },
      except: endpointId,
    }).catch((error: unknown) =>
      gw.logger.warn({ err: error, orgId, endpointId }, "could not announce a disabled endpoint"),
    );
  };

  const fail = (job: Job<DeliveryJobData>, reason: FailureReason): never => {
    gw.metrics.failures.inc({ queue: name, reason });
    gw.logger.info(
      { msgId: job.data.msgId, orgId: job.data.orgId, endpointId: job.data.endpointId, reason },
      "delivery failed; kept for replay",
    );
    throw new UnrecoverableError(reason);
  };

  // Per webhook: the slot (with the disabled check), the attempt, one script for all bookkeeping, and BullMQ's own.
  const processor = async (job: Job<DeliveryJobData>, token?: string) => {
    const { msgId, orgId, endpointId } = job.data;
    const endpoint = await findEndpoint(gw, orgId, endpointId);
    if (!endpoint) return fail(job, "endpoint_deleted");

    const holder = job.id ?? msgId;
    const slotKey = deliveryKeys.inflight(orgId, endpointId);
    const slot = await acquireSlot(gw.redis, {
      key: slotKey,
      disabledKey: deliveryKeys.disabled(orgId),
      endpointId,
      holder,
      limit: gw.config.delivery.concurrencyPerEndpoint,
      now: gw.now(),
      leaseMs,
    });
    if (slot === "disabled") return fail(job, "endpoint_disabled");
    if (slot === "busy") {
      // Busy endpoint: come back shortly; moveToDelayed does not count an attempt.
      await job.moveToDelayed(Date.now() + 100 + Math.floor(Math.random() * 400), token);
      throw new DelayedError();
    }
    const attemptNumber = job.attemptsMade + 1;
    let sent: Awaited<ReturnType<typeof attemptOnce>>;
    try {
      sent = await inSpan(
        "gigbridge.deliver",
        {
          kind: SpanKind.CLIENT,
          parent: job.data.trace,
          attributes: {
            "gigbridge.org": orgId,
            "gigbridge.endpoint": endpointId,
            "gigbridge.message.id": msgId,
            "gigbridge.event.type": job.data.type,
            "gigbridge.attempt": attemptNumber,
          },
        },
        async (span) => {
          const done = await attemptOnce(gw, endpoint, {
            msgId,
            body: webhookBody(job.data),
            attempt: attemptNumber,
            agent,
            ...(span.context ? { trace: span.context } : {}),
          });
          span.setAttributes({
            "gigbridge.delivery.outcome": done.result.outcome,
            ...(done.result.status === undefined ? {} : { "http.response.status_code": done.result.status }),
          });
          if (done.result.outcome !== "success") span.setStatus({ code: SpanStatusCode.ERROR });
          return done;
        },
      );
    } catch (error) {
      await releaseSlot(gw.redis, slotKey, holder).catch(() => {});
      throw error;
    }
    const { result, attempt } = sent;

    // One round trip frees the slot, logs the attempt and notes the endpoint's health.
    const now = gw.now();
    const disableAfterMs = gw.config.delivery.disableAfter;
    const healthOf =
      result.outcome === "success" ? "success" : result.outcome === "disable" ? "gone" : "failure";
    let health: HealthAfter;
    try {
      const settled = await settleAttempt(gw, orgId, attempt, {
        holder,
        health: healthOf,
        now,
        disableAfterMs,
      });
      health = settled.health;
      if (settled.board) await noteOnBoard(gw, orgId, endpointId, settled.board, now);
    } catch (error) {
      await releaseSlot(gw.redis, slotKey, holder).catch(() => {});
      // Delivered: a Redis hiccup while noting it must not turn into a second delivery.
      if (result.outcome !== "success") throw error;
      gw.logger.warn({ err: error, msgId, endpointId }, "could not record a delivery success");
      return { status: result.status, attempt: attemptNumber };
    }

    switch (result.outcome) {
      case "success":
        return { status: result.status, attempt: attemptNumber };
      case "disable":
        if (health === "disabled") disabled(orgId, endpointId, "gone");
        return fail(job, "endpoint_disabled");
      case "fail":
        // A refused endpoint fails like any other: failing for `disableAfter` disables it, announced once.
        if (health === "disabled") disabled(orgId, endpointId, "failing");
        return fail(job, result.reason ?? "network_refused");
      case "retry": {
        if (health === "disabled") disabled(orgId, endpointId, "failing");
        if (health !== "enabled") return fail(job, "endpoint_disabled");
        if (isLastAttempt(attemptNumber, gw.config.retry.schedule)) return fail(job, "retries_exhausted");
        throw new AttemptFailedError(
          `attempt ${attemptNumber} failed: ${describe(result)}`,
          result.retryAfterMs,
        );
      }
    }
  };

  const connection = gw.workerConnection(`gigbridge:worker:${name}`);
  const worker = new Worker<DeliveryJobData>(name, processor, {
    connection,
    prefix,
    ...recoveryOptions(gw.config),
    concurrency: options.concurrency ?? 64,
    lockDuration: lockMs,
    ...options.lock,
    settings: {
      backoffStrategy: (attemptsMade, type, error) => {
        if (type !== DELIVERY_BACKOFF) return -1;
        const scheduled = nextDelayMs(attemptsMade, gw.config.retry.schedule, gw.config.retry.jitter);
        // Past the schedule (only for errors outside an attempt, such as Redis going away): give up.
        if (scheduled === undefined) return -1;
        const retryAfter = error instanceof AttemptFailedError ? error.retryAfterMs : undefined;
        return Math.max(1, retryDelayMs(scheduled, retryAfter));
      },
    },
  });
  worker.on("error", (error) => gw.quietLog.error("delivery worker", error));

  return workerHandle(name, worker, connection);
}
