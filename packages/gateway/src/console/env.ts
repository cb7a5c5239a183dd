import type { Context } from "hono";
import type { AppEnv } from "../http/env.js";
import type { Speaker } from "./i18n.js";
import type { View } from "./layout.js";
import type { ActiveSession } from "./session.js";

/** What the console's middleware sets on each request. */
export type ConsoleEnv = {
  Variables: AppEnv["Variables"] & {
    say: Speaker;
    /** Set for every page behind the sign-in. */
    session: ActiveSession;
  };
};

export type ConsoleContext = Context<ConsoleEnv>;

/** The page's view of the request: language, who is signed in, the CSRF token. */
export function viewOf(c: ConsoleContext): View {
  const url = new URL(c.req.url);
  const session = c.get("session") as ActiveSession | undefined;
  return {
    say: c.get("say"),
    path: url.pathname + url.search,
    ...(session ? { principal: session.principal, csrf: session.csrf } : {}),
  };
}
