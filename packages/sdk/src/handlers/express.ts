// @gigbridge/sdk/express: webhook verification as Express middleware (Express 4 and 5).
import type { IncomingMessage } from "node:http";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { WebhookBody } from "../webhooks.js";
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

export interface ExpressWebhookOptions extends WebhookHandlerOptions {
  /**
   * Called with each verified delivery; the 204 waits for it, and a throw answers 500. Without
   * it the middleware puts the delivery on `res.locals.webhook` and calls `next()`.
   */
  onEvent?: (delivery: WebhookDelivery, req: Request, res: Response) => unknown;
}

const RAW_BODY_GONE =
  "the raw request body is gone: a body parser (express.json()) read it before the webhook middleware, " +
  "and the body it parsed does not re-serialise to the signed bytes. Mount the webhook route before " +
  "express.json(), or keep the bytes with express.json({ verify: captureRawBody })";

/**
 * For `express.json({ verify: captureRawBody })`: keeps the exact bytes on `req.rawBody` so the
 * webhook middleware can verify even though express.json() ran first.
 */
export function captureRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  (req as IncomingMessage & { rawBody?: Buffer }).rawBody = buf;
}

type BodySource = { raw: WebhookBody } | { reserialised: string } | { tooLarge: true } | { gone: true };

/** Where the signed bytes are: a raw parser's Buffer, `rawBody`, the unread stream, or nowhere. */
async function bodyOf(req: Request, limit: number): Promise<BodySource> {
  const body: unknown = req.body;
  if (typeof body === "string" || body instanceof Uint8Array) return { raw: body };
  const kept = (req as Request & { rawBody?: unknown }).rawBody;
  if (typeof kept === "string" || kept instanceof Uint8Array) return { raw: kept };
  const consumed = req.readableEnded || (req as Request & { _body?: boolean })._body === true;
  if (!consumed) {
    const read = await readBody(req, limit);
    return read === "too_large" ? { tooLarge: true } : { raw: read };
  }
  // express.json() ran first. The gateway sends JSON.stringify output, which parse-then-stringify
  // reproduces; the signature decides, so a body that does not come back byte for byte is refused.
  if (body !== null && typeof body === "object") return { reserialised: JSON.stringify(body) };
  return { gone: true };
}

/**
 * Verifies a GigBridge delivery, whether or not `express.json()` ran before it. Answers 400 with a
 * problem+json `reason` for a bad signature, a stale or missing timestamp, or missing headers, and
 * says so plainly (reason `raw_body_unavailable`) when an earlier body parser left nothing to verify.
 *
 * ```ts
 * app.post("/webhooks", webhookMiddleware({ secret, onEvent: ({ event }) => save(event) }));
 * ```
 */
export function webhookMiddleware(options: ExpressWebhookOptions): RequestHandler {
  const webhook = verifier(options);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      const source = await bodyOf(req, limit);
      if ("tooLarge" in source) {
        sendProblem(res, problem(413, "body_too_large", `the body is larger than ${limit} bytes`));
        return;
      }
      if ("gone" in source) {
        sendProblem(res, problem(400, "raw_body_unavailable", RAW_BODY_GONE));
        return;
      }
      const checked = await check(webhook, "raw" in source ? source.raw : source.reserialised, req.headers);
      if ("problem" in checked) {
        const p =
          "reserialised" in source && checked.problem.reason === "signature_mismatch"
            ? problem(400, "raw_body_unavailable", RAW_BODY_GONE)
            : checked.problem;
        sendProblem(res, p);
        return;
      }
      res.locals.webhook = checked.delivery;
      if (!options.onEvent) {
        next();
        return;
      }
      try {
        await options.onEvent(checked.delivery, req, res);
      } catch {
        sendProblem(res, callbackFailed());
        return;
      }
      if (!res.headersSent) res.status(204).end();
    } catch (error) {
      next(error);
    }
  };
}
