/** @jsxImportSource hono/jsx */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { compress } from "hono/compress";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { Gateway } from "../core/context.js";
import { GatewayError } from "../core/errors.js";
import { outbox } from "../tasks/events.js";
import { consoleCss, consoleJs } from "./assets.js";
import { type ConsoleContext, type ConsoleEnv, viewOf } from "./env.js";
import { pickLanguage, speaker } from "./i18n.js";
import { Notice, Page } from "./layout.js";
import { operatorPages } from "./operator.js";
import { orgPages } from "./org.js";
import {
  createSession,
  csrfMatches,
  endSession,
  LANG_COOKIE,
  loadSession,
  redeemLoginLink,
  resolveKey,
  SESSION_COOKIE,
} from "./session.js";

/**
 * Only this origin, and no inline script or style: every script and stylesheet is a file the gateway
 * serves. Framing is refused twice (CSP and X-Frame-Options) for older browsers.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const assets: Record<string, { body: string; type: string }> = {
  "console.css": { body: consoleCss, type: "text/css; charset=utf-8" },
  "console.js": { body: consoleJs, type: "text/javascript; charset=utf-8" },
};

/**
 * `/console`: server-rendered pages for operators (failures, replays, audit, endpoints, queues, orgs)
 * and for organizations (task inbox, task actions, webhook endpoints). Pages call the same functions as
 * the API routes; a session stands in for the bearer key.
 */
export function consoleRoutes(gw: Gateway) {
  const app = new Hono<ConsoleEnv>();

  app.use("/console", securityHeaders);
  app.use("/console/*", securityHeaders, compress());
  app.use("/console/*", bodyLimit({ maxSize: 64 * 1024 }));
  app.use("/console", language(gw));
  app.use("/console/*", language(gw));

  app.get("/console/assets/:file", (c) => {
    const asset = assets[c.req.param("file")];
    if (!asset) return c.notFound();
    c.header("content-type", asset.type);
    c.header("cache-control", "public, max-age=3600");
    return c.body(asset.body);
  });

  app.get("/console/lang", (c) => {
    const to = c.req.query("to") === "en" ? "en" : "zh";
    setCookie(c, LANG_COOKIE, to, { path: "/console", sameSite: "Strict", httpOnly: true, maxAge: 31536000 });
    return c.redirect(safeBack(c.req.query("back")), 303);
  });

  app.get("/console/login", (c) => c.html(loginPage(c, c.req.query("ended") ? "login.expired" : undefined)));

  app.post("/console/login", sameOrigin, async (c) => {
    const form = await c.req.parseBody();
    const key = typeof form.key === "string" ? form.key.trim() : "";
    const principal = key && key.length <= 200 ? await resolveKey(gw, key) : null;
    if (!principal) return c.html(loginPage(c, "login.invalid"), 401);
    return startSession(c, gw, key);
  });

  // The dev banner's one-time link: the URL holds a random token, not the key.
  app.get("/console/login/link/:token", async (c) => {
    const key = await redeemLoginLink(gw, c.req.param("token"));
    const principal = key === null ? null : await resolveKey(gw, key);
    if (!key || !principal) return c.html(loginPage(c, "login.linkUsed"), 401);
    return startSession(c, gw, key);
  });

  // Everything below needs a session whose key is still valid, and a CSRF token on every change.
  const signedIn: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const session = await loadSession(gw, getCookie(c, SESSION_COOKIE));
    if (!session) {
      deleteCookie(c, SESSION_COOKIE, { path: "/console" });
      const hadCookie = getCookie(c, SESSION_COOKIE) !== undefined;
      return c.redirect(hadCookie ? "/console/login?ended=1" : "/console/login", 303);
    }
    c.set("session", session);
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!csrfMatches(session, form._csrf)) {
        return c.html(
          <Page view={viewOf(c)} title={c.get("say").t("error.title")}>
            <Notice kind="problem">{c.get("say").t("error.csrf")}</Notice>
          </Page>,
          403,
        );
      }
    }
    await next();
  };
  app.use("/console", signedIn);
  app.use("/console/*", signedIn);

  app.get("/console", (c) =>
    c.redirect(c.get("session").principal.kind === "org" ? "/console/tasks" : "/console/failures", 303),
  );

  app.post("/console/logout", sameOrigin, async (c) => {
    await endSession(gw, c.get("session").id);
    deleteCookie(c, SESSION_COOKIE, { path: "/console" });
    return c.redirect("/console/login", 303);
  });

  operatorPages(app, gw);
  orgPages(app, gw, outbox(gw));

  app.onError((error, c) => {
    const say = c.get("say") ?? speaker("zh", gw.config.console.timeZone);
    const kind = error instanceof GatewayError ? error.kind : "internal";
    const status = error instanceof GatewayError ? error.status : 500;
    if (status >= 500 && kind !== "unavailable") gw.logger.error({ err: error }, "console page failed");
    const message =
      kind === "forbidden"
        ? say.t("common.forbidden")
        : kind === "not_found"
          ? say.t("error.notFound")
          : kind === "validation"
            ? say.t("error.validation")
            : kind === "unavailable"
              ? say.t("error.unavailable")
              : say.t("error.title");
    const pointers = error instanceof GatewayError ? (error.errors ?? []).map((e) => e.pointer) : [];
    c.status(status as 403);
    return c.html(
      <Page view={{ ...viewOf(c as ConsoleContext) }} title={say.t("error.title")}>
        <Notice kind="problem">
          <p>{message}</p>
          {pointers.length > 0 ? (
            <ul>
              {pointers.map((p) => (
                <li>
                  <code>{p}</code>
                </li>
              ))}
            </ul>
          ) : null}
        </Notice>
        <p>
          <a href="/console">{say.t("common.back")}</a>
        </p>
      </Page>,
    );
  });

  return app;
}

const securityHeaders: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  await next();
  c.header("content-security-policy", CONSOLE_CSP);
  c.header("x-frame-options", "DENY");
  c.header("x-content-type-options", "nosniff");
  // Not no-referrer: with it, browsers send `Origin: null` on form posts, which the origin check refuses.
  c.header("referrer-policy", "same-origin");
  if (!c.req.path.startsWith("/console/assets/")) c.header("cache-control", "no-store");
};

function language(gw: Gateway): MiddlewareHandler<ConsoleEnv> {
  return async (c, next) => {
    const lang = pickLanguage(getCookie(c, LANG_COOKIE), c.req.header("accept-language"));
    c.set("say", speaker(lang, gw.config.console.timeZone));
    await next();
  };
}

/** A form post from another site is refused even before its CSRF token is looked at. */
const sameOrigin: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    return c.text("Cross-origin form posts are refused.", 403);
  }
  await next();
};

async function startSession(c: ConsoleContext, gw: Gateway, key: string) {
  const { id } = await createSession(gw, key);
  setCookie(c, SESSION_COOKIE, id, {
    path: "/console",
    httpOnly: true,
    sameSite: "Strict",
    secure: new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto") === "https",
    maxAge: Math.floor(gw.config.console.sessionTtl / 1000),
  });
  return c.redirect("/console", 303);
}

/** Only a path inside the console: the switch must not become an open redirect. */
function safeBack(back: string | undefined): string {
  return back?.startsWith("/console") && !back.startsWith("//") ? back : "/console";
}

function loginPage(c: ConsoleContext, problem?: "login.invalid" | "login.expired" | "login.linkUsed") {
  const view = viewOf(c);
  const { say } = view;
  return (
    <Page view={view} title={say.t("login.title")}>
      <div class="login">
        {problem ? <Notice kind="problem">{say.t(problem)}</Notice> : null}
        <form method="post" action="/console/login">
          <div class="field">
            <label for="key">{say.t("login.key")}</label>
            <input
              id="key"
              name="key"
              type="password"
              autocomplete="off"
              required
              maxlength={200}
              aria-describedby="key-help"
            />
            <p id="key-help">{say.t("login.help")}</p>
          </div>
          <button type="submit">{say.t("login.submit")}</button>
        </form>
      </div>
    </Page>
  );
}
