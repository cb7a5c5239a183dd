import { randomUUID } from "node:crypto";
import {
  deprecatedAlias,
  endpointConfigSchema,
  endpointIdSchema,
  eventTypeSchema,
  pageQuerySchema,
  pageSchema,
  timestampSchema,
} from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { decodeCursor, encodeCursor, isString } from "../core/cursor.js";
import { routesApp } from "../http/app.js";
import { requireOrg, securitySchemes } from "../http/auth.js";
import { problemDoc } from "../http/problem.js";
import { attemptCursor, listEndpointAttempts, readAttemptCursor } from "./attempts.js";
import { deliverOnce } from "./deliver.js";
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointWithHealth,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  updateEndpoint,
  withHealth,
} from "./endpoints.js";
import { enableEndpoint } from "./health.js";
import { messageId, webhookBody } from "./outbox.js";

const refusals = {
  401: problemDoc("Missing or unknown organization key"),
  403: problemDoc("The key is not an organization key"),
  503: problemDoc("Redis is unavailable; retry after Retry-After seconds"),
};
const notFound = { 404: problemDoc("No endpoint with this id belongs to the organization") };
const readOnly = {
  409: problemDoc("The endpoint is defined in the gateway configuration and cannot be changed here"),
};
const invalid = {
  422: problemDoc(
    "The body does not match the schema, or the URL is refused (not http(s), does not resolve, or resolves to a blocked network)",
  ),
};

const secretSchema = endpointConfigSchema.shape.secret;
const descriptionSchema = z.string().min(1).max(256).describe("A note for the integrator's own use.");
const timestamp = timestampSchema;

const endpointSchema = z
  .object({
    id: endpointIdSchema,
    url: endpointConfigSchema.shape.url,
    events: z.array(eventTypeSchema).describe("Event types delivered to this endpoint."),
    description: descriptionSchema.optional(),
    source: z
      .enum(["config", "api"])
      .describe(
        "`config`: defined in the gateway configuration, read-only here; `api`: created through this API.",
      ),
    status: z.enum(["enabled", "disabled"]),
    disabledReason: z
      .enum(["gone", "failing"])
      .optional()
      .describe(
        "`gone`: the endpoint answered 410; `failing`: every attempt failed for `delivery.disableAfter`.",
      ),
    disabledAt: timestamp.optional(),
    failingSince: timestamp.optional().describe("Start of the current run of failed attempts."),
    lastSuccessAt: timestamp.optional(),
    lastFailureAt: timestamp.optional(),
    createdAt: timestamp.optional(),
    updatedAt: timestamp.optional(),
  })
  .meta({ id: "Endpoint", description: "A webhook endpoint of the organization." });

const endpointWithSecretSchema = endpointSchema
  .extend({
    secret: secretSchema.describe("The signing secret. Shown only in this response: store it now."),
  })
  .meta({ id: "EndpointWithSecret", description: "An endpoint with its new signing secret, shown once." });

const createSchema = z
  .strictObject({
    url: endpointConfigSchema.shape.url,
    events: z.array(eventTypeSchema).min(1).optional().describe("Event types to deliver; all by default."),
    description: descriptionSchema.optional(),
    secret: secretSchema.optional().describe("Bring your own `whsec_` secret; one is generated otherwise."),
  })
  .meta({ id: "EndpointCreate" });

const patchSchema = z
  .strictObject({
    url: endpointConfigSchema.shape.url.optional(),
    events: z.array(eventTypeSchema).min(1).optional(),
    description: descriptionSchema.nullable().optional().describe("null removes it."),
  })
  .meta({ id: "EndpointPatch" });

const rotateSchema = z
  .strictObject({ secret: secretSchema.optional().describe("The new secret; generated if absent.") })
  .meta({ id: "SecretRotation" });

const testSchema = z
  .strictObject({
    message: z.string().max(200).optional().describe("Free text carried in the ping's `data.message`."),
  })
  .meta({ id: "EndpointTest" });

const attemptSchema = z
  .object({
    messageId: z.string().describe("The `webhook-id` of the message."),
    endpointId: endpointIdSchema,
    attempt: z.number().int().min(1).describe("1 for a message's first attempt; a replay starts again at 1."),
    attemptedAt: timestamp.describe("When the attempt started."),
    at: deprecatedAlias(timestamp, "attemptedAt"),
    outcome: z
      .enum(["success", "retry", "disable", "fail"])
      .describe(
        "success: 2xx; retry: will be retried per the schedule; disable: 410 disabled the endpoint; fail: refused, not retried.",
      ),
    status: z.number().int().optional().describe("The HTTP status, absent when no response came."),
    latencyMs: z.number().int().min(0),
    response: z.string().describe("The first bytes of the response body (1 KiB by default)."),
    error: z
      .string()
      .optional()
      .describe("What went wrong without a status: timeout, connection refused, blocked network."),
  })
  .meta({ id: "Attempt", description: "One delivery attempt." });

const endpointPageSchema = pageSchema(
  endpointSchema,
  "Endpoint",
  "configured endpoints first, then the others by creation time",
  { endpoints: deprecatedAlias(z.array(endpointSchema), "items") },
);

const attemptPageSchema = pageSchema(attemptSchema, "Attempt", "newest first", {
  attempts: deprecatedAlias(z.array(attemptSchema), "items"),
});

/** An endpoint list's position: the last endpoint's creation time ("" for a configured one) and id. */
const readEndpointCursor = ([createdAt, id]: unknown[]) =>
  isString(createdAt) && isString(id) ? { createdAt, id } : undefined;

const testResultSchema = z
  .object({
    messageId: z.string(),
    outcome: attemptSchema.shape.outcome,
    status: z.number().int().optional(),
    latencyMs: z.number().int().min(0),
    response: z.string(),
    error: z.string().optional(),
  })
  .meta({ id: "EndpointTestResult", description: "The result of one signed `endpoint.ping` sent now." });

const idParams = z.object({ id: endpointIdSchema });
const security = [{ [securitySchemes.org]: [] }];
const tags = ["Endpoints"];
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const body = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { required, content: { "application/json": { schema } } },
});

const routes = {
  create: createRoute({
    method: "post",
    path: "/v1/endpoints",
    tags,
    security,
    summary: "Create an endpoint; the response shows its signing secret once",
    request: body(createSchema),
    responses: { 201: json(endpointWithSecretSchema, "Created"), ...invalid, ...refusals },
  }),
  list: createRoute({
    method: "get",
    path: "/v1/endpoints",
    tags,
    security,
    summary:
      "List the organization's endpoints (configured and created through the API): configured ones first, then by creation",
    request: { query: pageQuerySchema },
    responses: {
      200: json(endpointPageSchema, "A page of endpoints"),
      422: problemDoc("The cursor or limit is not valid"),
      ...refusals,
    },
  }),
  get: createRoute({
    method: "get",
    path: "/v1/endpoints/{id}",
    tags,
    security,
    summary: "One endpoint with its health",
    request: { params: idParams },
    responses: { 200: json(endpointSchema, "The endpoint"), ...notFound, ...refusals },
  }),
  update: createRoute({
    method: "patch",
    path: "/v1/endpoints/{id}",
    tags,
    security,
    summary: "Change an endpoint's URL, event types or description",
    request: { params: idParams, ...body(patchSchema) },
    responses: {
      200: json(endpointSchema, "The changed endpoint"),
      ...notFound,
      ...readOnly,
      ...invalid,
      ...refusals,
    },
  }),
  remove: createRoute({
    method: "delete",
    path: "/v1/endpoints/{id}",
    tags,
    security,
    summary: "Delete an endpoint; its queued messages fail as `endpoint_deleted`",
    request: { params: idParams },
    responses: { 204: { description: "Deleted" }, ...notFound, ...readOnly, ...refusals },
  }),
  rotate: createRoute({
    method: "post",
    path: "/v1/endpoints/{id}/rotate-secret",
    tags,
    security,
    summary:
      "Replace the signing secret; the old one also signs for `delivery.rotationOverlap` (24 h by default)",
    request: { params: idParams, ...body(rotateSchema, false) },
    responses: {
      200: json(endpointWithSecretSchema, "The new secret, shown once"),
      ...notFound,
      ...readOnly,
      ...invalid,
      ...refusals,
    },
  }),
  enable: createRoute({
    method: "post",
    path: "/v1/endpoints/{id}/enable",
    tags,
    security,
    summary:
      "Enable an endpoint the gateway disabled (after 410, or after failing for `delivery.disableAfter`)",
    request: { params: idParams },
    responses: { 200: json(endpointSchema, "The enabled endpoint"), ...notFound, ...refusals },
  }),
  test: createRoute({
    method: "post",
    path: "/v1/endpoints/{id}/test",
    tags,
    security,
    summary: "Send one signed `endpoint.ping` now and report what the endpoint answered (no retries)",
    request: { params: idParams, ...body(testSchema, false) },
    responses: { 200: json(testResultSchema, "The attempt"), ...notFound, ...invalid, ...refusals },
  }),
  attempts: createRoute({
    method: "get",
    path: "/v1/endpoints/{id}/attempts",
    tags,
    security,
    summary: "Recent delivery attempts to this endpoint, newest first",
    request: {
      params: idParams,
      query: pageQuerySchema.extend({
        messageId: z.string().max(64).optional().describe("Only this message's attempts."),
      }),
    },
    responses: {
      200: json(attemptPageSchema, "A page of attempts, newest first"),
      422: problemDoc("The cursor or limit is not valid"),
      ...notFound,
      ...refusals,
    },
  }),
};

function present(endpoint: EndpointWithHealth): z.infer<typeof endpointSchema> {
  const { health, orgId: _orgId, ...rest } = endpoint;
  const { disabled, ...dates } = health;
  return { ...rest, ...dates, status: disabled ? "disabled" : "enabled" };
}

/**
 * `/v1/endpoints`: an organization manages its webhook endpoints with its own
 * key. Endpoints from the configuration are listed too but read-only (409 on
 * change); secrets appear only in the create and rotate responses.
 */
export function endpointRoutes(gw: Gateway) {
  const app = routesApp();
  app.use("/v1/endpoints", requireOrg(gw));
  app.use("/v1/endpoints/*", requireOrg(gw));

  const one = async (orgId: string, id: string) => {
    const [endpoint] = await withHealth(gw, [await getEndpoint(gw, orgId, id)]);
    return present(endpoint!);
  };

  app.openapi(routes.create, async (c) => {
    const orgId = c.get("org").id;
    const { endpoint, secret } = await createEndpoint(gw, orgId, c.req.valid("json"));
    const [withState] = await withHealth(gw, [endpoint]);
    return c.json({ ...present(withState!), secret }, 201);
  });

  app.openapi(routes.list, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const after = cursor === undefined ? undefined : decodeCursor(cursor, readEndpointCursor);
    const key = (e: { createdAt?: string | undefined; id: string }) => [e.createdAt ?? "", e.id] as const;
    const isAfter = (e: { createdAt?: string | undefined; id: string }) => {
      if (!after) return true;
      const [createdAt, id] = key(e);
      return createdAt > after.createdAt || (createdAt === after.createdAt && id > after.id);
    };
    // Configured endpoints have no creation time and come first; the rest are in creation order.
    const all = (await listEndpoints(gw, c.get("org").id)).sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x[0] !== y[0] ? (x[0] < y[0] ? -1 : 1) : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
    });
    const rest = all.filter(isAfter);
    const page = await withHealth(gw, rest.slice(0, limit));
    const last = page.at(-1);
    const nextCursor = rest.length > limit && last ? encodeCursor(key(last)) : null;
    const items = page.map(present);
    return c.json({ items, nextCursor, endpoints: items }, 200);
  });

  app.openapi(routes.get, async (c) => c.json(await one(c.get("org").id, c.req.valid("param").id), 200));

  app.openapi(routes.update, async (c) => {
    const orgId = c.get("org").id;
    const { id } = c.req.valid("param");
    await updateEndpoint(gw, orgId, id, c.req.valid("json"));
    return c.json(await one(orgId, id), 200);
  });

  app.openapi(routes.remove, async (c) => {
    await deleteEndpoint(gw, c.get("org").id, c.req.valid("param").id);
    return c.body(null, 204);
  });

  app.openapi(routes.rotate, async (c) => {
    const orgId = c.get("org").id;
    const { id } = c.req.valid("param");
    const { secret } = await rotateSecret(gw, orgId, id, c.req.valid("json")?.secret);
    return c.json({ ...(await one(orgId, id)), secret }, 200);
  });

  app.openapi(routes.enable, async (c) => {
    const orgId = c.get("org").id;
    const { id } = c.req.valid("param");
    await getEndpoint(gw, orgId, id);
    await enableEndpoint(gw, orgId, id);
    gw.logger.info({ orgId, endpointId: id }, "endpoint enabled");
    return c.json(await one(orgId, id), 200);
  });

  app.openapi(routes.test, async (c) => {
    const orgId = c.get("org").id;
    const { id } = c.req.valid("param");
    return c.json(await sendTest(gw, orgId, id, c.req.valid("json")?.message), 200);
  });

  app.openapi(routes.attempts, async (c) => {
    const orgId = c.get("org").id;
    const { id } = c.req.valid("param");
    const { limit, cursor, messageId } = c.req.valid("query");
    const after = cursor === undefined ? undefined : readAttemptCursor(cursor);
    await getEndpoint(gw, orgId, id);
    const page = await listEndpointAttempts(gw, orgId, id, { limit, after, messageId });
    const items = page.items.map((a) => ({ ...a, at: a.attemptedAt }));
    const nextCursor = page.next ? attemptCursor(page.next) : null;
    return c.json({ items, nextCursor, attempts: items }, 200);
  });

  return app;
}

/** Sends one signed `endpoint.ping` to an org's endpoint now and reports what happened. */
export async function sendTest(gw: Gateway, orgId: string, id: string, text?: string) {
  const endpoint = await getEndpoint(gw, orgId, id);
  const now = gw.now();
  const msgId = messageId(`ping:${randomUUID()}`, id);
  const message = text ?? "Test delivery from GigBridge";
  const result = await deliverOnce(gw, endpoint, {
    msgId,
    attempt: 1,
    body: webhookBody({
      type: "endpoint.ping",
      timestamp: new Date(now).toISOString(),
      data: { endpointId: id, message },
    }),
  });
  return {
    messageId: msgId,
    outcome: result.outcome,
    latencyMs: result.latencyMs,
    response: result.response,
    ...(result.status === undefined ? {} : { status: result.status }),
    ...(result.error === undefined ? {} : { error: result.error }),
  };
}
