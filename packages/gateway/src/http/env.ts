import type { Principal } from "../core/credentials.js";
import type { Client } from "./forwarded.js";

/** Variables the middleware chain sets on each request's context. */
export type AppEnv = {
  Variables: {
    requestId: string;
    /** The client behind any trusted proxies (`http.trustedProxies`). */
    client: Client;
    principal: Principal;
    /** Set by `requirePlatform`. */
    platform: { id: string };
    /** Set by `requireOrg`. */
    org: { id: string };
    /** Set by `requireOperator`. */
    operator: { name: string; role: "viewer" | "operator" };
  };
};
