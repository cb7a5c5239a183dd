import type { Agent } from "undici";
import type { Gateway } from "../core/context.js";
import { type TraceContext, traceHeaders } from "../core/tracing.js";
import { type Attempt, recordAttempt } from "./attempts.js";
import { type Endpoint, signingSecrets } from "./endpoints.js";
import { deliveryMetrics } from "./metrics.js";
import { createGuardedAgent, type LookupAll } from "./network.js";
import { type AttemptResult, sendAttempt } from "./send.js";
import { webhookHeaders } from "./signing.js";

const agents = new WeakMap<Gateway, Agent>();

/**
 * The process's delivery agent: a connection pool per receiver origin, with the
 * SSRF check on every connection. Created on first use, closed with the gateway.
 */
export function deliveryAgent(gw: Gateway, lookup?: LookupAll): Agent {
  let agent = agents.get(gw);
  if (!agent) {
    const created = createGuardedAgent({
      allow: gw.config.delivery.allowNetworks,
      connectTimeoutMs: gw.config.delivery.timeout,
      ...(lookup ? { lookup } : {}),
    });
    agents.set(gw, created);
    gw.onClose(() => created.close());
    agent = created;
  }
  return agent;
}

export interface DeliverOptions {
  msgId: string;
  body: string;
  /** 1-based attempt number, for the log. */
  attempt: number;
  agent?: Agent;
  /** Sent as `traceparent` / `tracestate`: the trace of what caused the message. */
  trace?: TraceContext;
}

/**
 * One signed attempt at one endpoint, not yet logged: signs with the endpoint's
 * current secrets (two during a rotation), sends, counts it in the metrics, and
 * returns the result with the attempt as the log keeps it. The
 * `webhook-timestamp` is the attempt's time, so a retry hours later still passes
 * receivers' freshness checks; the signature covers it.
 */
export async function attemptOnce(
  gw: Gateway,
  endpoint: Endpoint,
  options: DeliverOptions,
): Promise<{ result: AttemptResult; attempt: Attempt }> {
  const startedAt = gw.now();
  const secrets = await signingSecrets(gw, endpoint, startedAt);
  const result = await sendAttempt({
    dispatcher: options.agent ?? deliveryAgent(gw),
    url: endpoint.url,
    headers: {
      ...webhookHeaders(options.msgId, Math.floor(startedAt / 1000), options.body, secrets),
      ...traceHeaders(options.trace),
    },
    body: options.body,
    timeoutMs: gw.config.delivery.timeout,
    maxResponseBytes: gw.config.delivery.maxResponseBytes,
    now: gw.now,
  });
  const attempt: Attempt = {
    messageId: options.msgId,
    endpointId: endpoint.id,
    attempt: options.attempt,
    attemptedAt: new Date(startedAt).toISOString(),
    outcome: result.outcome,
    latencyMs: result.latencyMs,
    response: result.response,
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(result.error === undefined ? {} : { error: result.error }),
  };
  const metrics = deliveryMetrics(gw);
  const statusClass = result.status === undefined ? "none" : `${Math.floor(result.status / 100)}xx`;
  metrics.attempts.inc({ outcome: result.outcome, status_class: statusClass });
  metrics.latency.observe({ outcome: result.outcome }, result.latencyMs / 1000);
  return { result, attempt };
}

/**
 * One signed attempt at one endpoint, logged (see {@link attemptOnce}). The
 * delivery worker logs its attempts together with the rest of its bookkeeping
 * (`settleAttempt`); this is for attempts outside a queue, such as a test ping.
 */
export async function deliverOnce(
  gw: Gateway,
  endpoint: Endpoint,
  options: DeliverOptions,
): Promise<AttemptResult> {
  const { result, attempt } = await attemptOnce(gw, endpoint, options);
  try {
    await recordAttempt(gw, endpoint.orgId, attempt);
  } catch (error) {
    // The attempt happened; failing here would make the caller send the message again.
    gw.logger.warn(
      { err: error, msgId: options.msgId, endpointId: endpoint.id },
      "could not record a delivery attempt",
    );
  }
  return result;
}
