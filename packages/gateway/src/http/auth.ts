import type { MiddlewareHandler } from "hono";
import type { Gateway } from "../core/context.js";
import type { Principal } from "../core/credentials.js";
import { GatewayError, UnavailableError } from "../core/errors.js";
import type { AppEnv } from "./env.js";

type Kind = Principal["kind"];

/** The OpenAPI security scheme name for each kind of key. */
export const securitySchemes = {
  platform: "platformKey",
  org: "orgKey",
  operator: "operatorToken",
} as const satisfies Record<Kind, string>;

async function authenticate(gw: Gateway, header: string | undefined): Promise<Principal> {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match?.[1]) {
    throw new GatewayError("unauthenticated", "Send your key as `Authorization: Bearer <key>`.", {
      headers: { "WWW-Authenticate": 'Bearer realm="gigbridge"' },
    });
  }
  let principal: Principal | null;
  try {
    principal = await gw.credentials.resolve(match[1]);
  } catch (error) {
    throw new UnavailableError("Credentials could not be checked right now; retry shortly.", error);
  }
  if (!principal) {
    throw new GatewayError("unauthenticated", "The key is not valid.", {
      headers: { "WWW-Authenticate": 'Bearer realm="gigbridge", error="invalid_token"' },
    });
  }
  return principal;
}

function requireKind(gw: Gateway, kind: Kind): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await authenticate(gw, c.req.header("authorization"));
    if (principal.kind !== kind) {
      throw new GatewayError("forbidden", `This route needs a ${kind} key.`);
    }
    c.set("principal", principal);
    if (principal.kind === "platform") c.set("platform", { id: principal.id });
    if (principal.kind === "org") c.set("org", { id: principal.id });
    if (principal.kind === "operator") c.set("operator", { name: principal.name, role: principal.role });
    await next();
  };
}

/** Platform keys: signal intake and status. */
export const requirePlatform = (gw: Gateway) => requireKind(gw, "platform");
/** Organization keys: tasks, endpoints, points. */
export const requireOrg = (gw: Gateway) => requireKind(gw, "org");
/** Operator tokens; `operator` role for anything that changes state, `viewer` reads. */
export function requireOperator(
  gw: Gateway,
  role: "viewer" | "operator" = "viewer",
): MiddlewareHandler<AppEnv> {
  const base = requireKind(gw, "operator");
  return async (c, next) =>
    base(c, async () => {
      if (role === "operator" && c.get("operator").role !== "operator") {
        throw new GatewayError("forbidden", "This action needs an operator token with the `operator` role.");
      }
      await next();
    });
}
