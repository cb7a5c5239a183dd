// @gigbridge/sdk/hono: webhook verification as Hono middleware. Runs wherever Hono runs
// (Node, Bun, Deno, Cloudflare Workers, Vercel Edge): it reads the body through the Fetch API.
import type { Context, MiddlewareHandler } from "hono";
import type { VerifiedWebhookEvent } from "../webhooks.js";
import {
  callbackFailed,
  check,
  verifier,
  type WebhookDelivery,
  type WebhookHandlerOptions,
  type WebhookProblem,
} from "./core.js";

export type { WebhookDelivery, WebhookHandlerOptions, WebhookProblem } from "./core.js";

/** What the middleware sets on the context: `c.get("webhookEvent")`, `c.get("webhookId")`. */
export type WebhookVariables = { webhookEvent: VerifiedWebhookEvent; webhookId: string };

export interface HonoWebhookOptions extends WebhookHandlerOptions {
  /**
   * Called with each verified delivery; the 204 waits for it, and a throw answers 500. Without
   * it the middleware sets the event on the context and hands over to the next handler.
   */
  onEvent?: (delivery: WebhookDelivery, c: Context) => unknown;
}

/**
 * Verifies the delivery from the raw body and sets the typed event on the context; then either
 * runs `onEvent` and answers 204, or, without `onEvent`, calls the next handler. A bad signature, a stale
 * or missing timestamp, or missing headers answer 400 with a problem+json `reason`; a callback
 * that throws answers 500, so the gateway retries.
 *
 * ```ts
 * app.post("/webhooks", webhookHandler({ secret, onEvent: ({ event }) => save(event) }));
 * ```
 */
export function webhookHandler(
  options: HonoWebhookOptions,
): MiddlewareHandler<{ Variables: WebhookVariables }> {
  const webhook = verifier(options);
  const answer = (c: Context, p: WebhookProblem) =>
    c.body(JSON.stringify(p), p.status as 400, { "content-type": "application/problem+json" });
  return async (c, next) => {
    const checked = await check(webhook, await c.req.arrayBuffer(), c.req.raw.headers);
    if ("problem" in checked) return answer(c, checked.problem);
    c.set("webhookEvent", checked.delivery.event);
    c.set("webhookId", checked.delivery.id);
    if (!options.onEvent) {
      await next();
      return;
    }
    try {
      await options.onEvent(checked.delivery, c);
    } catch {
      return answer(c, callbackFailed());
    }
    return c.body(null, 204);
  };
}
