import type { Principal } from "../core/credentials.js";

/** Variables the middleware chain sets on each request's context. */
export type AppEnv = {
  Variables: {
    requestId: string;
    principal: Principal;
    /** Set by `requirePlatform`. */
    platform: { id: string };
    /** Set by `requireOrg`. */
    org: { id: string };
    /** Set by `requireOperator`. */
    operator: { name: string; role: "viewer" | "operator" };
  };
};
