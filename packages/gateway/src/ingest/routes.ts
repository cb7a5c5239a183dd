import {
  acceptedResponseSchema,
  batchRequestSchema,
  fixtures,
  type Signal,
  signalIdSchema,
  signalSchema,
  signalStatusSchema,
  signalTypes,
} from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodError } from "zod";
import type { Gateway } from "../core/context.js";
import { GatewayError, NotFoundError } from "../core/errors.js";
import { inSpan, SpanKind, traceContextOf } from "../core/tracing.js";
import { routesApp, validationFailure } from "../http/app.js";
import { requirePlatform, securitySchemes } from "../http/auth.js";
import type { AppEnv } from "../http/env.js";
import { problemDoc } from "../http/problem.js";
import { intake, rateHeaders, signalStatus } from "./intake.js";

const refusals = {
  401: problemDoc("Missing or unknown platform key"),
  403: problemDoc("The key is not a platform key"),
  413: problemDoc("The body is larger than the limit, or the batch has too many signals"),
  415: problemDoc("The body is not JSON"),
  422: problemDoc("A signal does not match its schema; `errors` lists each failing JSON Pointer"),
  429: problemDoc("The platform's rate limit was reached; see Retry-After and RateLimit headers"),
  503: problemDoc("Redis is unavailable; nothing was stored; retry after Retry-After seconds"),
};

const accepted = {
  202: {
    description:
      "Stored durably and queued. Duplicates (ids this platform already sent) are acknowledged, not queued again.",
    content: { "application/json": { schema: acceptedResponseSchema } },
  },
};

// Examples in the OpenAPI document are the schemas' own valid fixtures, so a documented example is always valid.
const examples = Object.values(fixtures.signals.valid).map((list) => list[0]);

const sendOne = createRoute({
  method: "post",
  path: "/v1/signals",
  tags: ["Signals"],
  summary: "Send one signal",
  security: [{ [securitySchemes.platform]: [] }],
  request: {
    body: { required: true, content: { "application/json": { schema: signalSchema, example: examples[0] } } },
  },
  responses: { ...accepted, ...refusals },
});

const sendBatch = createRoute({
  method: "post",
  path: "/v1/signals/batch",
  tags: ["Signals"],
  summary: "Send up to 500 signals, accepted or refused as a whole",
  security: [{ [securitySchemes.platform]: [] }],
  request: {
    body: {
      required: true,
      content: {
        "application/json": {
          schema: batchRequestSchema,
          example: { signals: examples.slice(0, 3) },
        },
      },
    },
  },
  responses: { ...accepted, ...refusals },
});

const getOne = createRoute({
  method: "get",
  path: "/v1/signals/{id}",
  tags: ["Signals"],
  summary: "What became of a signal this platform sent",
  security: [{ [securitySchemes.platform]: [] }],
  request: { params: z.object({ id: signalIdSchema }) },
  responses: {
    200: {
      description: "The signal's status",
      content: { "application/json": { schema: signalStatusSchema } },
    },
    401: refusals[401],
    403: refusals[403],
    404: problemDoc("This platform sent no signal with that id within the idempotency window"),
    503: refusals[503],
  },
});

const knownTypes = new Set<string>(signalTypes);

/**
 * Intake as a span that continues the platform's trace (its `traceparent`): the context stored with
 * each signal is this span's, or the platform's own when no OpenTelemetry SDK records.
 */
function tracedIntake(gw: Gateway, c: Context<AppEnv>, signals: Signal[]) {
  const platformId = c.get("platform").id;
  return inSpan(
    "gigbridge.intake",
    {
      kind: SpanKind.SERVER,
      parent: traceContextOf(c.req.header("traceparent"), c.req.header("tracestate")),
      attributes: { "gigbridge.platform": platformId, "gigbridge.signal.count": signals.length },
    },
    (span) => intake(gw, platformId, signals, span.context),
  );
}

/** The front door for platforms: `POST /v1/signals`, `POST /v1/signals/batch`, `GET /v1/signals/{id}`. */
export function ingestRoutes(gw: Gateway) {
  const app = routesApp();
  app.use("/v1/signals", requirePlatform(gw));
  app.use("/v1/signals/*", requirePlatform(gw));
  // Counted before validation: validating 125,000 junk items overflowed zod's stack (a 500) and held the event loop.
  app.post("/v1/signals/batch", async (c, next) => {
    const body = (await c.req.json().catch(() => undefined)) as { signals?: unknown } | undefined;
    const max = gw.config.ingest.maxBatch;
    if (Array.isArray(body?.signals) && body.signals.length > max) {
      throw new GatewayError(
        "batch_too_large",
        `A batch holds at most ${max} signals; this one has ${body.signals.length}.`,
      );
    }
    await next();
  });

  // Refused signals are counted by platform and type, then the 422 is thrown.
  const countRefused = async (c: Context<AppEnv>, error: ZodError, target: string): Promise<never> => {
    const body = (await c.req.json().catch(() => undefined)) as { signals?: unknown[] } | undefined;
    const items = Array.isArray(body?.signals) ? body.signals : [body];
    for (const item of items) {
      const type = (item as { type?: unknown } | undefined)?.type;
      gw.metrics.signals.inc({
        platform: c.get("platform").id,
        type: typeof type === "string" && knownTypes.has(type) ? type : "unknown",
        outcome: "refused",
      });
    }
    throw validationFailure({ target, error });
  };
  const refuse = (
    result: { success: true } | { success: false; error: ZodError; target: string },
    c: Context<AppEnv>,
  ) => (result.success ? undefined : countRefused(c, result.error, result.target));

  app.openapi(
    sendOne,
    async (c) => {
      const result = await tracedIntake(gw, c, [c.req.valid("json")]);
      return c.json(
        { accepted: result.accepted, duplicates: result.duplicates },
        202,
        rateHeaders(result.rate),
      );
    },
    refuse,
  );

  app.openapi(
    sendBatch,
    async (c) => {
      const { signals } = c.req.valid("json");
      const result = await tracedIntake(gw, c, signals);
      return c.json(
        { accepted: result.accepted, duplicates: result.duplicates },
        202,
        rateHeaders(result.rate),
      );
    },
    refuse,
  );

  app.openapi(getOne, async (c) => {
    const { id } = c.req.valid("param");
    const status = await signalStatus(gw, c.get("platform").id, id);
    if (!status) throw new NotFoundError(`No signal ${id} from this platform within the idempotency window.`);
    return c.json(status, 200);
  });

  return app;
}
