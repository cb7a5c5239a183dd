// @gigbridge/sdk/node-http: webhook verification for a plain `node:http` server (or any
// framework that hands over Node's request and response untouched: Fastify's `raw`, Koa's `req`).
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  callbackFailed,
  check,
  DEFAULT_MAX_BODY_BYTES,
  problem,
  verifier,
  type WebhookDelivery,
  type WebhookHandlerOptions,
} from "./core.js";
import { readBody, sendProblem } from "./node-io.js";

export type { WebhookDelivery, WebhookHandlerOptions, WebhookProblem } from "./core.js";

export interface NodeWebhookOptions extends WebhookHandlerOptions {
  /** Called with each verified delivery; the 204 waits for it, and a throw answers 500. */
  onEvent: (delivery: WebhookDelivery, req: IncomingMessage) => unknown;
}

/**
 * A request listener: reads the raw body, verifies it, calls `onEvent`, then answers 204. A bad
 * signature, a stale or missing timestamp, or missing headers answer 400 with a problem+json
 * `reason`; a body over `maxBodyBytes` answers 413; a callback that throws answers 500.
 *
 * ```ts
 * createServer(webhookListener({ secret, onEvent: ({ event }) => save(event) })).listen(8080);
 * ```
 */
export function webhookListener(
  options: NodeWebhookOptions,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const webhook = verifier(options);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    const body = await readBody(req, limit);
    if (body === "too_large") {
      sendProblem(res, problem(413, "body_too_large", `the body is larger than ${limit} bytes`));
      return;
    }
    const checked = await check(webhook, body, req.headers);
    if ("problem" in checked) {
      sendProblem(res, checked.problem);
      return;
    }
    try {
      await options.onEvent(checked.delivery, req);
    } catch {
      sendProblem(res, callbackFailed());
      return;
    }
    if (!res.headersSent) res.writeHead(204).end();
  };
}
