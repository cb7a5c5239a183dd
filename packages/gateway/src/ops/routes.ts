import { orgConfigSchema } from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { Gateway } from "../core/context.js";
import { ConflictError, ForbiddenError, ValidationError } from "../core/errors.js";
import type { Org } from "../core/orgs.js";
import { findEndpoint } from "../delivery/endpoints.js";
import { EndpointNotFoundError } from "../delivery/errors.js";
import { enableEndpoint } from "../delivery/health.js";
import { routesApp } from "../http/app.js";
import { requireOperator, securitySchemes } from "../http/auth.js";
import type { AppEnv } from "../http/env.js";
import { problemDoc } from "../http/problem.js";
import { appendAudit, listAudit } from "./audit.js";
import { queueBoardRoutes } from "./board.js";
import { credentialRoutes } from "./credentials.js";
import { getFailure, listFailures } from "./failures.js";
import { getReplay, type Operator, requestReplay } from "./replays.js";
import {
  auditPageSchema,
  auditQuerySchema,
  dryRunSchema,
  failureDetailSchema,
  failureIdSchema,
  failurePageSchema,
  failureQuerySchema,
  replayRequestSchema,
  replaySchema,
} from "./schemas.js";

const common = {
  401: problemDoc("Missing or unknown operator token"),
  403: problemDoc("Not an operator token, or the action needs the `operator` role"),
  422: problemDoc("The request does not match the schema; `errors` lists each failing JSON Pointer"),
  503: problemDoc("Redis is unavailable; nothing was changed; retry after Retry-After seconds"),
};

const security = [{ [securitySchemes.operator]: [] }];
const tags = ["Operations"];
const json = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

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

const replayRoute = createRoute({
  method: "post",
  path: "/v1/ops/replays",
  tags,
  security,
  summary: "Replay failed work by ids or by filter; `dryRun` only counts",
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
  summary: "The organization tree: configured orgs and those operators added",
  responses: { 200: json(z.object({ items: z.array(opsOrgSchema) }), "Every org"), ...common },
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
  path: "/v1/ops/orgs/{org}/endpoints/{endpoint}/enable",
  tags,
  security,
  summary: "Re-enable a disabled webhook endpoint (then replay its failed deliveries)",
  request: { params: z.object({ org: z.string().min(1).max(64), endpoint: z.string().min(1).max(64) }) },
  responses: {
    200: json(z.object({ org: z.string(), endpoint: z.string(), enabled: z.literal(true) }), "Enabled"),
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

  /** The caller, if allowed to change things; a refused attempt is recorded before the 403. */
  const changer = async (c: Context<AppEnv>, action: string, target?: string): Promise<Operator> => {
    const operator = c.get("operator");
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
  };

  app.openapi(listFailuresRoute, async (c) => {
    const { cursor, limit, ...filter } = c.req.valid("query");
    return c.json(await listFailures(gw, filter, { limit, ...(cursor ? { cursor } : {}) }), 200);
  });

  app.openapi(showFailureRoute, async (c) => c.json(await getFailure(gw, c.req.valid("param").id), 200));

  app.openapi(replayRoute, async (c) => {
    const body = c.req.valid("json");
    const operator = await changer(c, body.dryRun ? "replay.dry_run" : "replay");
    const answer = await requestReplay(gw, operator, body);
    return "dryRun" in answer ? c.json(answer, 200) : c.json(answer, 202);
  });

  app.openapi(showReplayRoute, async (c) => c.json(await getReplay(gw, c.req.valid("param").id), 200));

  app.openapi(auditRoute, async (c) => c.json(await listAudit(gw, c.req.valid("query")), 200));

  app.openapi(listOrgsRoute, async (c) => {
    const configured = new Set(gw.config.orgs.map((o) => o.id));
    const items = (await gw.orgs.list()).map((org) => view(org, configured.has(org.id)));
    return c.json({ items }, 200);
  });

  app.openapi(putOrgRoute, async (c) => {
    const org = c.req.valid("json");
    const operator = await changer(c, "org.put", org.id);
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
    return c.json(view(org, false), existed ? 200 : 201);
  });

  app.openapi(enableEndpointRoute, async (c) => {
    const { org, endpoint } = c.req.valid("param");
    const operator = await changer(c, "endpoint.enable", `${org}/${endpoint}`);
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
    return c.json({ org, endpoint, enabled: true as const }, 200);
  });

  app.route("/", credentialRoutes(gw));
  app.route("/", queueBoardRoutes(gw));
  return app;
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
