import { problemKindSchema, validationErrors } from "@gigbridge/schemas";
import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import type { ZodError } from "zod";
import type { Gateway } from "../core/context.js";
import { GatewayError, ValidationError } from "../core/errors.js";
import { securitySchemes } from "./auth.js";
import { docsRoutes } from "./docs.js";
import type { AppEnv } from "./env.js";
import { forwarded } from "./forwarded.js";
import { healthRoutes, type Readiness } from "./health.js";
import { readStrictJson } from "./json-body.js";
import { metricsRoutes } from "./metrics.js";
import { type OpenApiDocument, problemDoc, problemResponse, withProblemKinds } from "./problem.js";
import { problemRoutes } from "./problems.js";

/** A stage's routes: an OpenAPIHono app mounted at the root, so its paths show in /openapi.json. */
export type RouteModule = (gw: Gateway) => OpenAPIHono<AppEnv>;

/** HTML pages with their own middleware and context (the console). */
// biome-ignore lint/suspicious/noExplicitAny: any Hono app can be mounted, whatever its context variables.
export type PageModule = (gw: Gateway) => Hono<any, any, any>;

export interface AppOptions {
  /** The stages' route modules, in the order data flows through them. */
  routes: RouteModule[];
  /** Background workers /readyz reports on. */
  readiness?: () => Readiness[];
  /** HTML pages (the console), mounted before the JSON body checks; runtime/ passes them in. */
  pages?: PageModule[];
  /** Read at each `/metrics` scrape: the stages' state kept in Redis (endpoint health). */
  onScrape?: () => Promise<void>;
  /** True once shutdown began: /readyz answers 503 and responses close their connection. */
  draining?: () => boolean;
}

/** At most this many failing fields are listed; a 100,000-item batch of junk would otherwise answer 21 MB. */
export const MAX_LISTED_ERRORS = 100;

/** The 422 for a failed request validation, with a JSON Pointer per failing field (the first 100, and the count). */
export function validationFailure(result: { target: string; error: ZodError }): ValidationError {
  const prefix = result.target === "json" ? "" : `/${result.target}`;
  const errors = validationErrors(result.error, prefix);
  const failure = new ValidationError(
    errors.length > MAX_LISTED_ERRORS
      ? `The request does not match the schema; \`errors\` lists the first ${MAX_LISTED_ERRORS} of ${errors.length} failing fields.`
      : "The request does not match the schema; see `errors`.",
    errors.slice(0, MAX_LISTED_ERRORS),
  );
  failure.extensions.errorCount = errors.length;
  return failure;
}

/** A fresh OpenAPIHono whose validation failures become problem+json with JSON Pointers. */
export function routesApp(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailure(result);
    },
  });
}

/**
 * The whole HTTP surface, composed in one place: request id, logs and metrics,
 * the console, body limits, content type, then each stage's routes, the OpenAPI
 * document, docs, health, and problem+json for everything that goes wrong.
 */
export function createApp(gw: Gateway, options: AppOptions): OpenAPIHono<AppEnv> {
  const app = routesApp();
  const draining = options.draining ?? (() => false);
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(forwarded(gw.config.http.trustedProxies));
  app.use(observe(gw));
  app.use(closeWhileDraining(draining));
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        withHeader(
          problemResponse(c, new GatewayError("method_not_allowed", `${c.req.method} is not allowed here.`)),
          "Allow",
          methods.join(", "),
        ),
    }),
  );
  // Pages (the console) take HTML form posts and answer in HTML: mounted before the JSON body checks.
  for (const module of options.pages ?? []) app.route("/", module(gw));
  if (options.pages?.length) {
    // The pages are HTML for people, not API: the document names their entry point only.
    app.openAPIRegistry.registerPath({
      method: "get",
      path: "/console",
      tags: ["Console"],
      summary: "The web console for operators and organizations (HTML; sign in with a token or key)",
      responses: { 200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } } },
    });
  }
  app.use(bodyChecks(gw.config.ingest.maxBodyBytes));

  for (const module of options.routes) app.route("/", module(gw));

  for (const [kind, name] of Object.entries(securitySchemes)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, {
      type: "http",
      scheme: "bearer",
      description: `A ${kind} key, sent as \`Authorization: Bearer <key>\`.`,
    });
  }
  const documentConfig = {
    openapi: "3.1.0",
    info: {
      title: "GigBridge API",
      version: "1.0.0",
      description:
        "Platforms send worker signals; the gateway turns them into follow-up tasks for Party organizations (党组织), delivered as signed webhooks or pulled. Conventions (lists, names, ids, errors): docs/api-conventions.md; problem types: /problems.",
    },
    servers: [{ url: "/" }],
  };
  let document: unknown;
  app.get("/openapi.json", (c) => {
    document ??= withProblemKinds(app.getOpenAPI31Document(documentConfig) as OpenApiDocument);
    return c.json(document);
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: "/openapi.json",
    tags: ["Documentation"],
    summary: "This OpenAPI 3.1 document",
    responses: { 200: { description: "The document", content: { "application/json": { schema: {} } } } },
  });
  app.route("/", docsRoutes());
  app.route("/", problemRoutes());
  for (const path of ["/problems", "/problems/{kind}"]) {
    app.openAPIRegistry.registerPath({
      method: "get",
      path,
      tags: ["Problems"],
      summary: path.endsWith("}") ? "What one problem type means (HTML)" : "Every problem type (HTML)",
      ...(path.endsWith("}") ? { request: { params: z.object({ kind: problemKindSchema }) } } : {}),
      responses: {
        200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } },
        ...(path.endsWith("}") ? { 404: problemDoc("No such problem type") } : {}),
      },
    });
  }
  app.route("/", metricsRoutes(gw, options.readiness, options.onScrape));
  app.route("/", healthRoutes(gw, options.readiness ?? (() => []), draining));

  app.notFound((c) =>
    problemResponse(c, new GatewayError("not_found", `No route for ${c.req.method} ${c.req.path}.`)),
  );
  app.onError((error, c) => {
    const response = problemResponse(c, error);
    // Expected refusals and outages are in the request log; a 500 is a bug and gets its stack here.
    if (response.status === 500)
      gw.logger.error({ err: error, requestId: c.get("requestId") }, "request failed");
    return response;
  });
  return app;
}

/**
 * What a worker-only process (`gigbridge work`) serves: health, readiness and
 * its metrics (delivery, task and failure counters live in the worker).
 */
export function createProbeApp(
  gw: Gateway,
  readiness: () => Readiness[],
  onScrape?: () => Promise<void>,
  draining: () => boolean = () => false,
): OpenAPIHono<AppEnv> {
  const app = routesApp();
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(closeWhileDraining(draining));
  app.route("/", metricsRoutes(gw, readiness, onScrape));
  app.route("/", healthRoutes(gw, readiness, draining));
  app.notFound((c) =>
    problemResponse(c, new GatewayError("not_found", `No route for ${c.req.method} ${c.req.path}.`)),
  );
  app.onError((error, c) => problemResponse(c, error));
  return app;
}

/**
 * While shutting down, each response closes its keep-alive connection, so clients reconnect
 * through the load balancer to a process that is staying.
 */
function closeWhileDraining(draining: () => boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (draining()) c.res.headers.set("connection", "close");
  };
}

const JSON_TYPE = /^application\/([\w.+-]+\+)?json\s*(;|$)/i;
const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * Body size and type, decided from the headers wherever they suffice: a body
 * over `maxBytes` is a 413 (with `connection: close`, since its unread rest
 * makes the connection unusable), a body that is not JSON a 415, before any
 * handler reads it. Only a body of unknown length (chunked)
 * is counted as it arrives, by hono's `bodyLimit`; a request with neither
 * `Content-Length` nor `Transfer-Encoding` has no body at all (RFC 9112 6.3).
 *
 * Nothing here touches `c.req.raw.body` when `Content-Length` is given: on
 * @hono/node-server that getter builds a full WHATWG Request (abort signal,
 * header validation, a web stream over the socket) per request, which cost
 * about as much CPU as the rest of the request path together; the handlers'
 * `c.req.json()` reads the body on node-server's fast path instead.
 */
export function bodyChecks(maxBytes: number): MiddlewareHandler<AppEnv> {
  const tooLarge = () => {
    throw new GatewayError(
      "payload_too_large",
      `The request body is larger than ${maxBytes} bytes; send smaller batches.`,
      // The unread rest of the body makes the connection unusable for another request.
      { headers: { connection: "close" } },
    );
  };
  const counted = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  /** Requests with a body must be JSON in UTF-8, not content-encoded: 415 otherwise. True when it has one. */
  const requireJson = (c: Context<AppEnv>, hasBody: boolean): boolean => {
    const method = c.req.method;
    if (!hasBody || (method !== "POST" && method !== "PUT" && method !== "PATCH")) return false;
    const type = c.req.header("content-type") ?? "";
    if (!JSON_TYPE.test(type)) {
      throw new GatewayError("unsupported_media_type", "Send the body as `Content-Type: application/json`.");
    }
    const charset = CHARSET.exec(type)?.[1]?.toLowerCase();
    if (charset !== undefined && charset !== "utf-8" && charset !== "utf8") {
      throw new GatewayError(
        "unsupported_media_type",
        "JSON bodies must be UTF-8 (`charset=utf-8` or none).",
      );
    }
    const encoding = c.req.header("content-encoding")?.trim().toLowerCase();
    if (encoding !== undefined && encoding !== "" && encoding !== "identity") {
      throw new GatewayError(
        "unsupported_media_type",
        "Content-Encoding is not supported; send the body as is.",
      );
    }
    return true;
  };
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const transfer = c.req.header("transfer-encoding");
    if (transfer !== undefined && transfer.trim().toLowerCase() !== "chunked") {
      // Node reads only the chunked framing; another coding (gzip, chunked) would reach the parser still encoded.
      throw new GatewayError("bad_request", "Transfer-Encoding other than `chunked` is not supported.", {
        headers: { connection: "close" },
      });
    }
    const length = c.req.header("content-length");
    // With Transfer-Encoding, Content-Length does not count (RFC 9112 6.3); without either the length is unknown.
    if (length !== undefined && transfer === undefined) {
      const bytes = Number(length);
      if (!(bytes <= maxBytes)) tooLarge();
      if (requireJson(c, bytes > 0)) await readStrictJson(c);
      return next();
    }
    // On a real connection, neither header means no body (RFC 9112 6.3): `curl -X POST` on an action.
    if (c.req.header("transfer-encoding") === undefined && fromSocket(c)) return next();
    return counted(c, async () => {
      if (requireJson(c, c.req.raw.body !== null)) await readStrictJson(c);
      await next();
    });
  };
}

/** True when the request came over a socket (@hono/node-server), not from `app.request` in-process. */
function fromSocket(c: Context<AppEnv>): boolean {
  return typeof (c.env as { incoming?: unknown } | undefined)?.incoming === "object";
}

function observe(gw: Gateway): MiddlewareHandler<AppEnv> {
  // The access line has a fixed shape (request id, method, route pattern, status, ms) with none of
  // the redacted fields, so it skips redaction: matching the wildcard paths was ~17 us of CPU per
  // request, more than any other part of logging. Everything else still logs through gw.logger.
  const access = gw.logger.child({}, { redact: { paths: [] } });
  return async (c, next) => {
    const started = performance.now();
    await next();
    const route = routeOf(c);
    const seconds = (performance.now() - started) / 1000;
    gw.metrics.httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    gw.metrics.httpDuration.observe({ route, method: c.req.method }, seconds);
    c.res.headers.set("x-request-id", c.get("requestId"));
    const entry = {
      requestId: c.get("requestId"),
      ip: c.get("client")?.ip,
      method: c.req.method,
      route,
      status: c.res.status,
      ms: seconds * 1000,
    };
    if (c.res.status >= 500) access.warn(entry, "request failed");
    else if (!quietRoutes.has(route)) access.info(entry, "request");
  };
}

/** Probes and scrapes would drown the log. */
const quietRoutes = new Set(["/healthz", "/readyz", "/metrics"]);

/** The matched route pattern (bounded label values), or `unmatched`. */
function routeOf(c: Context<AppEnv>): string {
  const path = c.req.routePath;
  return !path || path === "/*" || path === "*" ? "unmatched" : path;
}

function withHeader(response: Response, name: string, value: string): Response {
  response.headers.set(name, value);
  return response;
}
