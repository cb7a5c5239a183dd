import { deprecatedAlias, orgConfigSchema, pageQuerySchema, pageSchema } from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Gateway } from "../core/context.js";
import { decodeCursor, encodeCursor, isString } from "../core/cursor.js";
import { ConflictError, ForbiddenError, ValidationError } from "../core/errors.js";
import type { Org } from "../core/orgs.js";
import { readAttemptCursor } from "../delivery/attempts.js";
import { findEndpoint } from "../delivery/endpoints.js";
import { EndpointNotFoundError } from "../delivery/errors.js";
import { enableEndpoint } from "../delivery/health.js";
import { routesApp } from "../http/app.js";
import { requireOperator } from "../http/auth.js";
import type { AppEnv } from "../http/env.js";
import { problemDoc } from "../http/problem.js";
import { endpointAttempts, messageAttempts } from "./attempts.js";
import { appendAudit, listAudit } from "./audit.js";
import { BOARD_PATH, queueBoardRoutes } from "./board.js";
import { credentialRoutes } from "./credentials.js";
import { getFailure, listFailures } from "./failures.js";
import { getReplay, type Operator, requestReplay } from "./replays.js";
import { json, opsRefusals, opsSecurity, opsTags } from "./route-docs.js";
import {
  auditPageSchema,
  auditQuerySchema,
  dryRunSchema,
  endpointAttemptsSchema,
  failureDetailSchema,
  failureIdSchema,
  failurePageSchema,
  failureQuerySchema,
  messageAttemptsSchema,
  replayRequestSchema,
  replaySchema,
} from "./schemas.js";

const common = opsRefusals;

const security = opsSecurity;
const BOARD_BASIC = "operatorBasic";
const tags = opsTags;

const listFailuresRoute = createRoute({
  method: "get",
  path: "/v1/ops/failures",
  tags,
  security,
  summary: "List failed work: signals that failed processing and deliveries that gave up",
  request: { query: failureQuerySchema },
  responses: { 200: json(failurePageSchema, "A page of failures, newest first"), ...common },
});

const idParam = z.object({
  id: failureIdSchema.openapi({ param: { name: "id", in: "path" } }),
});

const showFailureRoute = createRoute({
  method: "get",
  path: "/v1/ops/failures/{id}",
  tags,
  security,
  summary: "One failure with its attempts and last error",
  request: { params: idParam },
  responses: {
    200: json(failureDetailSchema, "The failure"),
    404: problemDoc("Not failed now: replayed, removed, or never there"),
    ...common,
  },
});

const name = z.string().min(1).max(64);

const messageAttemptsRoute = createRoute({
  method: "get",
  path: "/v1/ops/messages/{id}/attempts",
  tags,
  security,
  summary: "A webhook message's state and attempts, whether delivered, retrying or failed",
  description:
    "The message id is the `webhook-id` receivers see (`messageId` in failures). The org is found from the message while its job is kept (delivered messages 7 days, failed ones until replayed or removed); after that give `org` to read the attempt log, kept 30 days. Response bodies are left out, as in the failures view.",
  request: {
    params: z.object({
      id: z
        .string()
        .regex(/^msg_[A-Za-z0-9]{1,64}$/)
        .openapi({ example: "msg_3f2a..." }),
    }),
    query: pageQuerySchema.extend({
      orgId: name.optional().describe("The message's org; needed once its job is gone."),
      org: deprecatedAlias(name, "orgId"),
    }),
  },
  responses: {
    200: json(messageAttemptsSchema, "The message and its attempts, newest first"),
    404: problemDoc("No such message (for this org), and no attempts logged for it"),
    ...common,
  },
});

const endpointAttemptsRoute = createRoute({
  method: "get",
  path: "/v1/ops/orgs/{orgId}/endpoints/{endpointId}/attempts",
  tags,
  security,
  summary: "An endpoint's recent delivery attempts across messages, newest first",
  description: "Response bodies are left out, as in the failures view.",
  request: {
    params: z.object({ orgId: name, endpointId: name }),
    query: pageQuerySchema,
  },
  responses: {
    200: json(endpointAttemptsSchema, "A page of the endpoint's attempts, newest first"),
    404: problemDoc("No such endpoint for this org, and no attempts logged for it"),
    ...common,
  },
});

const replayRoute = createRoute({
  method: "post",
  path: "/v1/ops/replays",
  tags,
  security,
  summary: "Replay failed work by ids or by filter; `dryRun` only counts (viewers may dry-run)",
  description:
    "Replays use the same ids as the original work, so replaying twice creates nothing twice. A replay is recorded in the audit log before anything moves, and runs in the background; read its progress at `/v1/ops/replays/{id}`.",
  request: { body: { required: true, content: { "application/json": { schema: replayRequestSchema } } } },
  responses: {
    200: json(dryRunSchema, "Dry run: how many items would be replayed"),
    202: json(
      z.object({ id: z.string(), status: z.literal("queued"), total: z.number().int() }),
      "The replay is queued",
    ),
    ...common,
  },
});

const showReplayRoute = createRoute({
  method: "get",
  path: "/v1/ops/replays/{id}",
  tags,
  security,
  summary: "Progress of a bulk replay",
  request: { params: z.object({ id: z.string().regex(/^rpl_[A-Za-z0-9_-]{1,64}$/) }) },
  responses: { 200: json(replaySchema, "The replay"), 404: problemDoc("No such replay"), ...common },
});

const auditRoute = createRoute({
  method: "get",
  path: "/v1/ops/audit",
  tags,
  security,
  summary: "The audit log of operator actions, newest first",
  request: { query: auditQuerySchema },
  responses: { 200: json(auditPageSchema, "A page of audit entries"), ...common },
});

const opsOrgSchema = orgConfigSchema
  .omit({ keyHashes: true })
  .extend({ source: z.enum(["config", "runtime"]).describe("Configured, or added by an operator.") });

const listOrgsRoute = createRoute({
  method: "get",
  path: "/v1/ops/orgs",
  tags,
  security,
  summary: "The organization tree: configured orgs and those operators added, by id",
  request: { query: pageQuerySchema },
  responses: {
    200: json(pageSchema(opsOrgSchema, "OpsOrg", "by id"), "A page of orgs"),
    ...common,
  },
});

const putOrgRoute = createRoute({
  method: "post",
  path: "/v1/ops/orgs",
  tags,
  security,
  summary: "Add (or replace) a run-time organization, e.g. to fix `no_route`; then replay",
  description:
    "Audited. Configured orgs cannot be replaced. `keyHashes` must be empty: give the org a key with `gigbridge keys create --org <id>`.",
  request: { body: { required: true, content: { "application/json": { schema: orgConfigSchema } } } },
  responses: {
    200: json(opsOrgSchema, "Replaced a run-time org"),
    201: json(opsOrgSchema, "Added"),
    409: problemDoc("The id belongs to a configured org"),
    ...common,
  },
});

const enableEndpointRoute = createRoute({
  method: "post",
  path: "/v1/ops/orgs/{orgId}/endpoints/{endpointId}/enable",
  tags,
  security,
  summary: "Re-enable a disabled webhook endpoint (then replay its failed deliveries)",
  request: {
    params: z.object({ orgId: z.string().min(1).max(64), endpointId: z.string().min(1).max(64) }),
  },
  responses: {
    200: json(
      z.object({
        orgId: z.string(),
        endpointId: z.string(),
        enabled: z.literal(true),
        org: deprecatedAlias(z.string(), "orgId"),
        endpoint: deprecatedAlias(z.string(), "endpointId"),
      }),
      "Enabled",
    ),
    404: problemDoc("No such endpoint for this org"),
    ...common,
  },
});

/**
 * The operator API under `/v1/ops` and the queue view under `/ops/queues`.
 * Every route needs an operator token; reads take `viewer`, changes take
 * `operator`, and a viewer's attempt to change something is itself audited.
 */
export function opsRoutes(gw: Gateway) {
  const app = routesApp();
  app.use("/v1/ops/*", requireOperator(gw, "viewer"));

  const changer = (c: Context<AppEnv>, action: string, target?: string): Promise<Operator> =>
    authorizeChange(gw, c.get("operator"), action, target);

  app.openapi(listFailuresRoute, async (c) => {
    const { cursor, limit, ...filter } = c.req.valid("query");
    return c.json(await listFailures(gw, filter, { limit, ...(cursor ? { cursor } : {}) }), 200);
  });

  app.openapi(showFailureRoute, async (c) => c.json(await getFailure(gw, c.req.valid("param").id), 200));

  app.openapi(messageAttemptsRoute, async (c) => {
    const { orgId, org, limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : readAttemptCursor(cursor);
    return c.json(await messageAttempts(gw, c.req.valid("param").id, orgId ?? org, { limit, after }), 200);
  });

  app.openapi(endpointAttemptsRoute, async (c) => {
    const { orgId, endpointId } = c.req.valid("param");
    const { limit, cursor } = c.req.valid("query");
    const after = cursor === undefined ? undefined : readAttemptCursor(cursor);
    return c.json(await endpointAttempts(gw, orgId, endpointId, { limit, after }), 200);
  });

  app.openapi(replayRoute, async (c) => {
    const body = c.req.valid("json");
    // A dry run changes nothing, so a viewer may count what a replay would take.
    const operator = body.dryRun ? c.get("operator") : await changer(c, "replay");
    const answer = await requestReplay(gw, operator, body);
    return "dryRun" in answer ? c.json(answer, 200) : c.json(answer, 202);
  });

  app.openapi(showReplayRoute, async (c) => c.json(await getReplay(gw, c.req.valid("param").id), 200));

  app.openapi(auditRoute, async (c) => c.json(await listAudit(gw, c.req.valid("query")), 200));

  app.openapi(listOrgsRoute, async (c) => {
    const { cursor, limit } = c.req.valid("query");
    const after =
      cursor === undefined ? undefined : decodeCursor(cursor, ([id]) => (isString(id) ? id : undefined));
    const configured = new Set(gw.config.orgs.map((o) => o.id));
    const rest = (await gw.orgs.list())
      .filter((org) => after === undefined || org.id > after)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = rest.slice(0, limit).map((org) => view(org, configured.has(org.id)));
    const last = items.at(-1);
    return c.json({ items, nextCursor: rest.length > limit && last ? encodeCursor([last.id]) : null }, 200);
  });

  app.openapi(putOrgRoute, async (c) => {
    const org = c.req.valid("json");
    const operator = await changer(c, "org.put", org.id);
    const { existed } = await putOrg(gw, operator, org);
    return c.json(view(org, false), existed ? 200 : 201);
  });

  app.openapi(enableEndpointRoute, async (c) => {
    const { orgId: org, endpointId: endpoint } = c.req.valid("param");
    const operator = await changer(c, "endpoint.enable", `${org}/${endpoint}`);
    await enableEndpointFor(gw, operator, org, endpoint);
    return c.json({ orgId: org, endpointId: endpoint, enabled: true as const, org, endpoint }, 200);
  });

  app.openAPIRegistry.registerPath({
    method: "get",
    path: BOARD_PATH,
    tags,
    security: [...security, { [BOARD_BASIC]: [] }],
    summary: "The queue view (bull-board): every queue's jobs; read-only for viewer tokens",
    description:
      "A web page and its assets under `/ops/queues/...`. Browsers sign in with HTTP Basic (any user name, the operator token as password) or once with `?token=<token>`, which sets a cookie. Changes made through the board need the `operator` role, come from this origin, and are audited.",
    responses: {
      200: { description: "The board (HTML)", content: { "text/html": { schema: z.string() } } },
      401: problemDoc("No operator token; answers `WWW-Authenticate: Basic`"),
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", BOARD_BASIC, {
    type: "http",
    scheme: "basic",
    description: "For browsers on the queue view: any user name, the operator token as password.",
  });
  app.route("/", credentialRoutes(gw));
  app.route("/", queueBoardRoutes(gw));
  return app;
}

/**
 * The caller, if its role may change things. A viewer's attempt is recorded in the audit log before the
 * 403, whether it came through the API or the console.
 */
export async function authorizeChange(
  gw: Gateway,
  operator: Operator,
  action: string,
  target?: string,
): Promise<Operator> {
  if (operator.role !== "operator") {
    await appendAudit(gw, {
      operator: operator.name,
      role: operator.role,
      action,
      outcome: "denied",
      ...(target ? { target } : {}),
    }).catch(() => {});
    throw new ForbiddenError("This action needs an operator token with the `operator` role.");
  }
  return operator;
}

/** Adds or replaces a run-time org (audited), e.g. to fix `no_route`. */
export async function putOrg(gw: Gateway, operator: Operator, org: Org): Promise<{ existed: boolean }> {
  await checkOrg(gw, org);
  const existed = (await gw.orgs.get(org.id)) !== undefined;
  const record = {
    operator: operator.name,
    role: operator.role,
    action: "org.put",
    target: org.id,
    count: 1,
  };
  await appendAudit(gw, { ...record, outcome: "accepted", detail: `regions ${org.regions.join(",")}` });
  try {
    await gw.orgs.put(org);
  } catch (error) {
    await appendAudit(gw, { ...record, outcome: "failed" }).catch(() => {});
    throw error;
  }
  return { existed };
}

/** Re-enables a disabled endpoint of any org (audited). */
export async function enableEndpointFor(
  gw: Gateway,
  operator: Operator,
  org: string,
  endpoint: string,
): Promise<void> {
  if (!(await findEndpoint(gw, org, endpoint))) throw new EndpointNotFoundError(endpoint);
  await appendAudit(gw, {
    operator: operator.name,
    role: operator.role,
    action: "endpoint.enable",
    outcome: "accepted",
    target: `${org}/${endpoint}`,
    count: 1,
  });
  await enableEndpoint(gw, org, endpoint);
}

function view(org: Org, configured: boolean) {
  const { keyHashes: _hidden, ...rest } = org;
  return { ...rest, source: configured ? ("config" as const) : ("runtime" as const) };
}

/** What the configuration would refuse, refused here too: unknown parent or platform, a cycle, keys. */
async function checkOrg(gw: Gateway, org: Org): Promise<void> {
  if (gw.config.orgs.some((o) => o.id === org.id)) {
    throw new ConflictError(`Org ${org.id} is configured; change it in the configuration file.`);
  }
  const errors: { pointer: string; detail: string }[] = [];
  if (org.keyHashes.length > 0) {
    errors.push({
      pointer: "/keyHashes",
      detail: "must be empty; create a key with `gigbridge keys create --org`",
    });
  }
  const platforms = new Set(gw.config.platforms.map((p) => p.id));
  org.platforms.forEach((p, i) => {
    if (!platforms.has(p))
      errors.push({ pointer: `/platforms/${i}`, detail: "must be the id of a configured platform" });
  });
  const byId = new Map((await gw.orgs.list()).map((o) => [o.id, o]));
  byId.set(org.id, org);
  if (org.parent !== null && !byId.has(org.parent)) {
    errors.push({ pointer: "/parent", detail: "must be the id of an existing org" });
  } else {
    const seen = new Set([org.id]);
    for (let parent = org.parent; parent !== null; parent = byId.get(parent)?.parent ?? null) {
      if (seen.has(parent)) {
        errors.push({ pointer: "/parent", detail: "org parents would form a cycle" });
        break;
      }
      seen.add(parent);
    }
  }
  if (errors.length > 0) throw new ValidationError("The org cannot be added.", errors);
}
