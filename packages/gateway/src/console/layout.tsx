/** @jsxImportSource hono/jsx */
import type { Child } from "hono/jsx";
import type { Principal } from "../core/credentials.js";
import type { MessageKey, Speaker } from "./i18n.js";

/** What every page knows about the request. */
export interface View {
  say: Speaker;
  /** The request path with its query, for the language switch to come back to. */
  path: string;
  principal?: Principal;
  csrf?: string;
}

const operatorNav: [string, MessageKey][] = [
  ["/console/failures", "nav.failures"],
  ["/console/replay", "nav.replay"],
  ["/console/audit", "nav.audit"],
  ["/console/endpoints", "nav.endpoints"],
  ["/console/queues", "nav.queues"],
  ["/console/orgs", "nav.orgs"],
];
const orgNav: [string, MessageKey][] = [
  ["/console/tasks", "nav.inbox"],
  ["/console/webhooks", "nav.myEndpoints"],
];

/** The hidden field every changing form carries. */
export function Csrf({ view }: { view: View }) {
  return <input type="hidden" name="_csrf" value={view.csrf ?? ""} />;
}

export function Page(props: { view: View; title: string; children?: Child; refreshSeconds?: number }) {
  const { view, title } = props;
  const { say, principal } = view;
  const nav = principal?.kind === "operator" ? operatorNav : principal?.kind === "org" ? orgNav : [];
  const current = view.path.split("?")[0] ?? "";
  const other = say.lang === "zh" ? "en" : "zh";
  const who =
    principal?.kind === "operator"
      ? `${principal.name} · ${say.t(principal.role === "operator" ? "who.operator" : "who.viewer")}`
      : principal?.kind === "org"
        ? `${say.t("who.org")} · ${principal.id}`
        : "";
  return (
    <html lang={say.lang === "zh" ? "zh-CN" : "en"}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {props.refreshSeconds ? <meta http-equiv="refresh" content={String(props.refreshSeconds)} /> : null}
        <title>{`${title} · ${say.t("app.title")}`}</title>
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/console.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          {say.t("app.skip")}
        </a>
        <header>
          <a class="brand" href="/console">
            {say.t("app.title")}
          </a>
          <span class="who">{who}</span>
          <span>
            <a
              href={`/console/lang?to=${other}&back=${encodeURIComponent(view.path)}`}
              lang={other === "zh" ? "zh-CN" : "en"}
              hreflang={other === "zh" ? "zh-CN" : "en"}
            >
              {say.t("lang.switch")}
            </a>
            {principal ? (
              <form method="post" action="/console/logout">
                <Csrf view={view} /> <button type="submit">{say.t("nav.logout")}</button>
              </form>
            ) : null}
          </span>
        </header>
        {nav.length > 0 ? (
          <nav aria-label={say.t("nav.main")}>
            <ul>
              {nav.map(([href, key]) => (
                <li>
                  <a href={href} aria-current={current.startsWith(href) ? "page" : undefined}>
                    {say.t(key)}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <main id="main">
          <h1>{title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function Notice(props: { kind?: "notice" | "problem" | "readonly"; children?: Child }) {
  const kind = props.kind ?? "notice";
  return (
    <div class={kind} role={kind === "problem" ? "alert" : "status"}>
      {props.children}
    </div>
  );
}

/** A select over values, each shown with its label; the first option means "any". */
export function Select(props: {
  name: string;
  label: string;
  any: string;
  value: string | undefined;
  options: [string, string][];
  id?: string;
}) {
  const id = props.id ?? `f-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      <select id={id} name={props.name}>
        <option value="">{props.any}</option>
        {props.options.map(([value, text]) => (
          <option value={value} selected={props.value === value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function TextFilter(props: { name: string; label: string; value: string | undefined; type?: string }) {
  const id = `f-${props.name}`;
  return (
    <div>
      <label for={id}>{props.label}</label>
      <input id={id} name={props.name} type={props.type ?? "text"} value={props.value ?? ""} />
    </div>
  );
}
