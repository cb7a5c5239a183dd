import { ValidationError, WebhookVerificationError } from "../errors.js";
import { type VerifiedWebhookEvent, Webhook, type WebhookBody, type WebhookHeaders } from "../webhooks.js";

/** What every framework handler is configured with. */
export interface WebhookHandlerOptions {
  /** The endpoint's `whsec_` secret; several while rotating your own. */
  secret: string | readonly string[];
  /** How far `webhook-timestamp` may be from now, in seconds. Default 300. */
  toleranceSec?: number;
  /** Largest body read, in bytes (node:http and Express). Default 1 MiB; larger answers 413. */
  maxBodyBytes?: number;
}

/** One verified delivery: the typed event and its `webhook-id` (the same on every retry; deduplicate on it). */
export interface WebhookDelivery {
  id: string;
  event: VerifiedWebhookEvent;
}

/** An RFC 9457 problem the handlers answer with; `reason` is `WebhookVerificationError.reason`. */
export interface WebhookProblem {
  type: string;
  title: string;
  status: number;
  detail: string;
  reason: string;
}

export type Checked = { delivery: WebhookDelivery } | { problem: WebhookProblem };

const PROBLEM_TYPE = "https://gigbridge.dev/problems/webhook-refused";
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function problem(status: number, reason: string, detail: string): WebhookProblem {
  const title =
    status === 400 ? "Webhook refused" : status === 413 ? "Webhook too large" : "Webhook not handled";
  return { type: PROBLEM_TYPE, title, status, detail, reason };
}

/** The problem for a callback that threw: 500, so the gateway retries; the error's text stays private. */
export const callbackFailed = (): WebhookProblem =>
  problem(500, "handler_failed", "the receiver failed to handle the event; the gateway will retry");

/** A verifier per handler: the secret's keys are imported once, not per request. */
export function verifier(options: WebhookHandlerOptions): Webhook {
  if (!options?.secret) throw new TypeError("secret is required: the endpoint's whsec_ secret");
  return new Webhook(options.secret, { toleranceSec: options.toleranceSec });
}

/** Verifies one request; a refusal comes back as a 400 problem, anything else unexpected is thrown. */
export async function check(webhook: Webhook, body: WebhookBody, headers: WebhookHeaders): Promise<Checked> {
  try {
    const event = await webhook.verify(body, headers);
    const id = headerOf(headers, "webhook-id") ?? "";
    return { delivery: { id, event } };
  } catch (error) {
    if (error instanceof WebhookVerificationError)
      return { problem: problem(400, error.reason, error.message) };
    if (error instanceof ValidationError) {
      const paths = error.errors.map((e) => e.pointer || "/").join(", ");
      return { problem: problem(400, "event_schema_mismatch", `${error.message}: ${paths}`) };
    }
    throw error;
  }
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const value = (headers as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}
