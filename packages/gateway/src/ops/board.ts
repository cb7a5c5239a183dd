import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { HonoAdapter } from "@bull-board/hono";
import { serveStatic } from "@hono/node-server/serve-static";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { Gateway } from "../core/context.js";
import {
  ForbiddenError,
  GatewayError,
  NotFoundError,
  type ProblemKind,
  problemKinds,
  UnavailableError,
} from "../core/errors.js";
import { type QueueKey, queues } from "../core/keys.js";
import type { AppEnv } from "../http/env.js";
import { appendAudit } from "./audit.js";

/** Where the queue view is served. */
export const BOARD_PATH = "/ops/queues";
const COOKIE = "gb_ops";
const SESSION_SECONDS = 8 * 3600;
const REALM = 'Basic realm="GigBridge operator console", charset="UTF-8"';

/**
 * The queue view (bull-board) at `/ops/queues`, for operator tokens only.
 *
 * A browser cannot send a bearer header, so three ways in, all carrying the
 * operator token itself (checked on every request, so a revoked token stops
 * working at once):
 * - `Authorization: Bearer <token>` (scripts);
 * - HTTP Basic with the token as password (any user name): the browser asks;
 * - `/ops/queues?token=<token>` once: sets an HttpOnly, SameSite=Strict cookie
 *   scoped to `/ops/queues` and redirects to the same page without the token,
 *   so it stays out of history and Referer headers.
 * Browsers attach Basic credentials and cookies by themselves, so a change
 * made with either must come from this origin (the `Origin` header).
 *
 * `viewer` tokens get a read-only board; `operator` tokens may act, and every
 * change they make through the board is written to the audit log first.
 */
export function queueBoardRoutes(gw: Gateway): Hono<AppEnv> {
  const boards = { viewer: board(gw, true), operator: board(gw, false) };
  const app = new Hono<AppEnv>();
  const authenticate = boardAuth(gw);
  const serve = async (c: Context<AppEnv>) => {
    const operator = c.get("operator");
    const target = boards[operator.role];
    const method = c.req.method;
    if (method === "GET" || method === "HEAD") {
      const response = asProblem(await target.fetch(c.req.raw), c.req.path);
      return operator.role === "viewer" ? withoutStackFrames(response) : response;
    }

    const path = new URL(c.req.url).pathname;
    const record = { operator: operator.name, role: operator.role, target: path };
    const action = `queues.${method.toLowerCase()}`;
    if (operator.role !== "operator") {
      await appendAudit(gw, { ...record, action, outcome: "denied" }).catch(() => {});
      throw new ForbiddenError("The queue view is read-only for viewer tokens.");
    }
    await appendAudit(gw, { ...record, action, outcome: "accepted" });
    const response = await target.fetch(c.req.raw);
    if (response.status >= 400) {
      await appendAudit(gw, {
        ...record,
        action,
        outcome: "failed",
        detail: `HTTP ${response.status}`,
      }).catch(() => {});
    }
    return asProblem(response, path);
  };
  app.use(BOARD_PATH, authenticate);
  app.use(`${BOARD_PATH}/*`, authenticate);
  app.all(BOARD_PATH, serve);
  app.all(`${BOARD_PATH}/*`, serve);
  return app;
}

/** The board's own error answers (text/plain 404s, JSON errors) as problem+json, like every other error. */
function asProblem(response: Response, path: string): Response {
  if (response.status < 400) return response;
  if (response.status === 404) throw new NotFoundError(`Nothing at ${path} in the queue view.`);
  const kind = (Object.entries(problemKinds).find(([, v]) => v.status === response.status)?.[0] ??
    (response.status >= 500 ? "internal" : "bad_request")) as ProblemKind;
  throw new GatewayError(kind, `The queue view refused the request (HTTP ${response.status}).`);
}

/**
 * Viewers see a failed job's error messages but not its stack frames, which
 * name files and directories of the host. Applies to the board's JSON answers.
 */
async function withoutStackFrames(response: Response): Promise<Response> {
  if (!response.headers.get("content-type")?.includes("application/json")) return response;
  const text = await response.text();
  if (!text.includes('"stacktrace"')) return new Response(text, response);
  const body = JSON.parse(text, (key, value: unknown) =>
    key === "stacktrace" && Array.isArray(value)
      ? value.map((trace) => (typeof trace === "string" ? firstLine(trace) : trace))
      : value,
  ) as unknown;
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  return new Response(JSON.stringify(body), { status: response.status, headers });
}

/** The message of a stack trace, without its `at ...` frames. */
export function firstLine(trace: string): string {
  const end = trace.search(/\n\s*at /);
  return end === -1 ? trace : trace.slice(0, end);
}

function board(gw: Gateway, readOnly: boolean): Hono {
  const adapter = new HonoAdapter(serveStatic).setBasePath(BOARD_PATH);
  createBullBoard({
    queues: (Object.keys(queues) as QueueKey[]).map((name) => {
      const adapter = new BullMQAdapter(gw.queue(name), { readOnlyMode: readOnly, allowRetries: !readOnly });
      // Job data holds signals and tasks; the board shows their shape, never a worker's identity or words.
      adapter.setFormatter("data", redactPersonal);
      return adapter;
    }),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: readOnly ? "GigBridge queues (read-only)" : "GigBridge queues" } },
  });
  return new Hono().route(BOARD_PATH, adapter.registerPlugin());
}

const PERSONAL_FIELDS = new Set([
  "workerId",
  "contact",
  "phone",
  "summary",
  "homeOrganization",
  "note",
  "cancelReason",
]);

/** A copy of job data with personal fields replaced, at any depth. */
export function redactPersonal(value: unknown, depth = 0): unknown {
  if (depth > 12 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => redactPersonal(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      PERSONAL_FIELDS.has(key) ? "[redacted]" : redactPersonal(field, depth + 1),
    ]),
  );
}

function tokenFrom(c: Context): { token: string; ambient: boolean } | undefined {
  const header = c.req.header("authorization");
  const bearer = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer) return { token: bearer, ambient: false };
  const basic = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, "base64").toString();
    const password = decoded.slice(decoded.indexOf(":") + 1);
    if (password) return { token: password, ambient: true };
  }
  const cookie = getCookie(c, COOKIE);
  if (cookie) return { token: cookie, ambient: true };
  return undefined;
}

function unauthenticated(detail: string): GatewayError {
  return new GatewayError("unauthenticated", detail, { headers: { "WWW-Authenticate": REALM } });
}

async function resolveOperator(gw: Gateway, token: string) {
  try {
    const principal = await gw.credentials.resolve(token);
    return principal?.kind === "operator" ? principal : undefined;
  } catch (error) {
    throw new UnavailableError("Credentials could not be checked right now; retry shortly.", error);
  }
}

function boardAuth(gw: Gateway): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    const fromQuery = url.searchParams.get("token");
    if (fromQuery !== null && c.req.method === "GET") {
      if (!(await resolveOperator(gw, fromQuery)))
        throw unauthenticated("The token is not an operator token.");
      setCookie(c, COOKIE, fromQuery, {
        httpOnly: true,
        sameSite: "Strict",
        path: BOARD_PATH,
        maxAge: SESSION_SECONDS,
        // Behind a trusted TLS-terminating proxy the client's scheme is in X-Forwarded-Proto (see http/forwarded.ts).
        secure: url.protocol === "https:" || c.get("client")?.proto === "https",
      });
      url.searchParams.delete("token");
      return c.redirect(url.pathname + url.search, 303);
    }
    const found = tokenFrom(c);
    if (!found) throw unauthenticated("Sign in with an operator token (Basic password, Bearer, or ?token=).");
    const principal = await resolveOperator(gw, found.token);
    if (principal?.kind !== "operator") throw unauthenticated("The token is not an operator token.");
    const safe = c.req.method === "GET" || c.req.method === "HEAD";
    if (!safe && found.ambient && !sameOrigin(c)) {
      throw new GatewayError(
        "forbidden",
        "Changes through the queue view must come from the queue view itself.",
      );
    }
    c.set("principal", principal);
    c.set("operator", { name: principal.name, role: principal.role });
    await next();
  };
}

function sameOrigin(c: Context): boolean {
  const origin = c.req.header("origin");
  if (!origin) return false;
  try {
    return new URL(origin).host === (c.get("client")?.host ?? c.req.header("host"));
  } catch {
    return false;
  }
}
