import { validationErrors } from "@gigbridge/schemas";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
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
import { metricsRoutes } from "./metrics.js";
import { problemResponse } from "./problem.js";

/** A stage's routes: an OpenAPIHono app mounted at the root, so its paths show in /openapi.json. */
export type RouteModule = (gw: Gateway) => OpenAPIHono<AppEnv>;

export interface AppOptions {
  /** The stages' route modules, in the order data flows through them. */
  routes: RouteModule[];
  /** Background workers /readyz reports on. */
  readiness?: () => Readiness[];
  /** True once shutdown began: /readyz answers 503 and responses close their connection. */
  draining?: () => boolean;
}

/** The 422 for a failed request validation, with a JSON Pointer per failing field. */
export function validationFailure(result: { target: string; error: ZodError }): ValidationError {
  const prefix = result.target === "json" ? "" : `/${result.target}`;
  return new ValidationError(
    "The request does not match the schema; see `errors`.",
    validationErrors(result.error, prefix),
  );
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
 * body limits, content type, then each stage's routes, the OpenAPI document,
 * docs, health, and problem+json for everything that goes wrong.
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
  app.use(bodyChecks(gw.config.ingest.maxBodyBytes));

  for (const module of options.routes) app.route("/", module(gw));

  for (const [kind, name] of Object.entries(securitySchemes)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, {
      type: "http",
      scheme: "bearer",
      description: `A ${kind} key, sent as \`Authorization: Bearer <key>\`.`,
    });
  }
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "GigBridge API",
      version: "1.0.0",
      description:
        "Platforms send worker signals; the gateway turns them into follow-up tasks for Party organizations (党组织), delivered as signed webhooks or pulled.",
    },
    servers: [{ url: "/" }],
  });
  app.route("/", docsRoutes());
  app.route("/", metricsRoutes(gw));
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
  draining: () => boolean = () => false,
): OpenAPIHono<AppEnv> {
  const app = routesApp();
  app.use(requestId({ headerName: "x-request-id" }));
  app.use(closeWhileDraining(draining));
  app.route("/", metricsRoutes(gw));
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

/**
 * Body size and type, decided from the headers wherever they suffice: a body
 * over `maxBytes` is a 413 (with `connection: close`, since its unread rest
 * makes the connection unusable), a body that is not JSON a 415, before any
 * handler reads it. Only a body of unknown length (chunked, or neither header)
 * is counted as it arrives, by hono's `bodyLimit`.
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
  /** Requests with a body must be JSON: 415 otherwise. */
  const requireJson = (c: Context<AppEnv>, hasBody: boolean) => {
    const method = c.req.method;
    if (!hasBody || (method !== "POST" && method !== "PUT" && method !== "PATCH")) return;
    if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
      throw new GatewayError("unsupported_media_type", "Send the body as `Content-Type: application/json`.");
    }
  };
  return async (c, next) => {
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") return next();
    const length = c.req.header("content-length");
    // With Transfer-Encoding, Content-Length does not count (RFC 9112 6.3); without either the length is unknown.
    if (length !== undefined && c.req.header("transfer-encoding") === undefined) {
      const bytes = Number(length);
      if (!(bytes <= maxBytes)) tooLarge();
      requireJson(c, bytes > 0);
      return next();
    }
    return counted(c, async () => {
      requireJson(c, c.req.raw.body !== null);
      await next();
    });
  };
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
