import { type ProblemKind, problemKindList, problemKinds, problemTypeOf } from "@gigbridge/schemas";
import { Hono } from "hono";
import { html, raw } from "hono/html";
import { GatewayError } from "../core/errors.js";
import type { AppEnv } from "./env.js";
import { problemResponse } from "./problem.js";

/** Escapes a kind's `when` and turns its backticked names into code elements. */
const withCode = (text: string) =>
  raw(
    text
      .replaceAll("&", "&amp;")
      .replaceAll("<", "&lt;")
      .replaceAll(">", "&gt;")
      .replace(/`([^`]+)`/g, "<code>$1</code>"),
  );

function page(title: string, body: ReturnType<typeof html>) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · GigBridge</title>
  </head>
  <body>
    <main>${body}</main>
  </body>
</html>`;
}

/**
 * `/problems` and `/problems/<kind>`: what each problem `type` means, generated from the one list
 * of kinds in packages/schemas, so every `type` URI a response carries resolves to a page here.
 */
export function problemRoutes() {
  const app = new Hono<AppEnv>();
  app.get("/problems", (c) =>
    c.html(
      page(
        "Problem types",
        html`<h1>Problem types</h1>
          <p>Every error of the GigBridge API is <code>application/problem+json</code> (RFC 9457); its <code>type</code> is one of these.</p>
          <table>
            <thead><tr><th>type</th><th>status</th><th>when</th></tr></thead>
            <tbody>
              ${problemKindList.map(
                (kind) =>
                  html`<tr><td><a href="${problemTypeOf(kind)}"><code>${kind}</code></a></td><td>${problemKinds[kind].status}</td><td>${withCode(problemKinds[kind].when)}</td></tr>`,
              )}
            </tbody>
          </table>`,
      ),
    ),
  );
  app.get("/problems/:kind", (c) => {
    const kind = c.req.param("kind");
    if (!Object.hasOwn(problemKinds, kind)) {
      return problemResponse(c, new GatewayError("not_found", `No problem type ${kind}; see /problems.`));
    }
    const { status, title, when } = problemKinds[kind as ProblemKind];
    return c.html(
      page(
        title,
        html`<h1>${title}</h1>
          <p><code>type: "${problemTypeOf(kind as ProblemKind)}"</code>, HTTP status <strong>${status}</strong>.</p>
          <p>When: ${withCode(when)}.</p>
          <p><a href="/problems">All problem types</a></p>`,
      ),
    );
  });
  return app;
}
