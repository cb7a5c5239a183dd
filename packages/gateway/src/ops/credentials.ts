import { pageSchema, parseDuration } from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { Credentials, configuredPrincipals } from "../core/credentials.js";
import { decodeCursor, encodeCursor, isString } from "../core/cursor.js";
import { ForbiddenError, GatewayError, UnavailableError, ValidationError } from "../core/errors.js";
import { routesApp } from "../http/app.js";
import { problemDoc } from "../http/problem.js";
import { appendAudit } from "./audit.js";
import { json, opsRefusals, opsSecurity, opsTags } from "./route-docs.js";
import {
  createdCredentialSchema,
  credentialCreateSchema,
  credentialIdSchema,
  credentialListQuerySchema,
  credentialSchema,
} from "./schemas.js";

/**
 * The credentials lifecycle under `/v1/ops/credentials`: list keys and
 * operator tokens (never the keys), create one with an optional expiry, revoke
 * one. Changes need the `operator` role and are audited before they take effect.
 * The `/v1/ops/*` middleware of `opsRoutes` has checked the operator token.
 */

const common = opsRefusals;
const security = opsSecurity;
const tags = opsTags;

const listRoute = createRoute({
  method: "get",
  path: "/v1/ops/credentials",
  tags,
  security,
  summary: "API keys and operator tokens: id, principal, created, expiry, last use, revocation",
  request: { query: credentialListQuerySchema },
  responses: {
    200: json(pageSchema(credentialSchema, "Credential", "by id"), "A page of keys, by id"),
    ...common,
  },
});

const createCredentialRoute = createRoute({
  method: "post",
  path: "/v1/ops/credentials",
  tags,
  security,
  summary: "Make a new key or operator token, optionally expiring; the key is shown only in this answer",
  description: "Audited (`credential.create`). The platform or org must exist.",
  request: { body: { required: true, content: { "application/json": { schema: credentialCreateSchema } } } },
  responses: { 201: json(createdCredentialSchema, "The new key"), ...common },
});

const revokeRoute = createRoute({
  method: "post",
  path: "/v1/ops/credentials/{id}/revoke",
  tags,
  security,
  summary: "Revoke a key or operator token; every gateway process refuses it within about a second",
  description:
    "Audited (`credential.revoke`) before it takes effect. Works for configured keys too; to keep a configured key revoked across a Redis reset, also list its hash in `revokedKeyHashes`.",
  request: { params: z.object({ id: credentialIdSchema.openapi({ param: { name: "id", in: "path" } }) }) },
  responses: {
    200: json(credentialSchema, "The revoked key (also when it was revoked before)"),
    404: problemDoc("No key with this id"),
    ...common,
  },
});

export function credentialRoutes(gw: Gateway) {
  const app = routesApp();
  const configured = configuredPrincipals(gw.config);
  const configRevoked = new Set(gw.config.revokedKeyHashes);
  const list = async () => {
    try {
      return await Credentials.list(gw.redis, configured, configRevoked);
    } catch (error) {
      throw new UnavailableError("Credentials could not be read right now; retry shortly.", error);
    }
  };
  /** The caller, if it may change credentials; a viewer's attempt is recorded, then refused. */
  const changer = async (
    operator: { name: string; role: "viewer" | "operator" },
    action: string,
    target: string,
  ) => {
    const who = { operator: operator.name, role: operator.role };
    if (operator.role === "operator") return who;
    await appendAudit(gw, { ...who, action, outcome: "denied", target }).catch(() => {});
    throw new ForbiddenError("This action needs an operator token with the `operator` role.");
  };

  app.openapi(listRoute, async (c) => {
    const { kind } = c.req.valid("query");
    const { cursor, limit } = c.req.valid("query");
    const after =
      cursor === undefined ? undefined : decodeCursor(cursor, ([id]) => (isString(id) ? id : undefined));
    const rest = (await list())
      .filter((item) => (!kind || item.principal.kind === kind) && (after === undefined || item.id > after))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const items = rest.slice(0, limit);
    const last = items.at(-1);
    return c.json({ items, nextCursor: rest.length > limit && last ? encodeCursor([last.id]) : null }, 200);
  });

  app.openapi(createCredentialRoute, async (c) => {
    const body = c.req.valid("json");
    const { principal } = body;
    const target =
      principal.kind === "operator" ? `operator:${principal.name}` : `${principal.kind}:${principal.id}`;
    const operator = await changer(c.get("operator"), "credential.create", target);
    if (principal.kind === "platform" && !gw.config.platforms.some((p) => p.id === principal.id)) {
      throw new ValidationError("No such platform.", [
        { pointer: "/principal/id", detail: "must be a configured platform" },
      ]);
    }
    if (principal.kind === "org" && !(await gw.orgs.get(principal.id))) {
      throw new ValidationError("No such org.", [
        { pointer: "/principal/id", detail: "must be an existing org" },
      ]);
    }
    const ms = body.expiresIn === undefined ? undefined : parseDuration(body.expiresIn);
    if (body.expiresIn !== undefined && !ms) {
      throw new ValidationError("The lifetime is not valid.", [
        { pointer: "/expiresIn", detail: "must be more than zero" },
      ]);
    }
    const now = new Date(gw.now());
    const expiresAt = ms ? new Date(now.getTime() + ms) : undefined;
    const record = { ...operator, action: "credential.create", target, count: 1 };
    await appendAudit(gw, {
      ...record,
      outcome: "accepted",
      ...(expiresAt ? { detail: `expires ${expiresAt.toISOString()}` } : {}),
    });
    const created = await Credentials.issue(gw.redis, principal, {
      now,
      ...(expiresAt ? { expiresAt } : {}),
    }).catch((error: unknown) => {
      throw new UnavailableError("The key could not be stored; nothing was created.", error);
    });
    await appendAudit(gw, { ...record, outcome: "completed", detail: created.id }).catch(() => {});
    return c.json(
      {
        key: created.key,
        id: created.id,
        principal,
        source: "redis" as const,
        createdAt: created.createdAt,
        expiresAt: created.expiresAt,
        revoked: false,
        revokedAt: null,
        lastUsedAt: null,
      },
      201,
    );
  });

  app.openapi(revokeRoute, async (c) => {
    const { id } = c.req.valid("param");
    const operator = await changer(c.get("operator"), "credential.revoke", id);
    const known = (await list()).find((item) => item.id === id);
    if (!known) throw new GatewayError("not_found", `No key with id ${id}.`);
    await appendAudit(gw, {
      ...operator,
      action: "credential.revoke",
      outcome: "accepted",
      target: id,
      count: 1,
    });
    await Credentials.revoke(gw.redis, id, configured, new Date(gw.now())).catch((error: unknown) => {
      throw new UnavailableError("The key could not be revoked right now; retry shortly.", error);
    });
    gw.credentials.invalidate();
    const after = (await list()).find((item) => item.id === id) ?? known;
    return c.json(after, 200);
  });

  return app;
}
