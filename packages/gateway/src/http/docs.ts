import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { compress } from "hono/compress";
import type { AppEnv } from "./env.js";
import { problemDoc } from "./problem.js";

/** Swagger UI's files, read once from the npm package: the gateway serves them itself. */
function swaggerAsset(file: string): string {
  const root = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  return readFileSync(join(root, file), "utf8");
}

/** Starts Swagger UI on `/openapi.json`; no validator badge, since that would call another origin. */
const init = `window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#api-reference",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
`;

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GigBridge API reference</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
  </head>
  <body>
    <main id="api-reference"></main>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/assets/init.js"></script>
  </body>
</html>`;

/**
 * Only this origin: the reference must render on intranets with no route to a CDN. Swagger UI sets
 * style attributes and uses data: images, so those two are allowed; scripts are only its files.
 */
export const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/**
 * `/docs`: the interactive API reference (Swagger UI from the `swagger-ui-dist` package) reading
 * `/openapi.json`. Every file it needs is served from here, so it works with no internet.
 */
export function docsRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const assets: Record<string, { body: string; type: string }> = {
    "swagger-ui.css": { body: swaggerAsset("swagger-ui.css"), type: "text/css; charset=utf-8" },
    "swagger-ui-bundle.js": {
      body: swaggerAsset("swagger-ui-bundle.js"),
      type: "text/javascript; charset=utf-8",
    },
    "init.js": { body: init, type: "text/javascript; charset=utf-8" },
  };
  const headers: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    c.header("content-security-policy", DOCS_CSP);
    c.header("x-frame-options", "DENY");
    c.header("x-content-type-options", "nosniff");
  };
  app.use("/docs", headers);
  // Only the files are compressed, and only on GET: compressing an error answer that an outer
  // middleware then rewrites (405, 404) sent a gzip header over a plain body.
  const gzip = compress();
  app.use("/docs/assets/*", headers, (c, next) => (c.req.method === "GET" ? gzip(c, next) : next()));
  app.openapi(docsRoute, (c) => c.html(page, 200));
  app.openapi(assetRoute, (c) => {
    const asset = assets[c.req.valid("param").file];
    if (!asset) return c.notFound();
    c.header("content-type", asset.type);
    c.header("cache-control", "public, max-age=3600");
    return c.body(asset.body, 200);
  });
  return app;
}

const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["Documentation"],
  summary: "Interactive API reference (Swagger UI, served from the gateway) over /openapi.json",
  responses: { 200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } } },
});

const assetRoute = createRoute({
  method: "get",
  path: "/docs/assets/{file}",
  tags: ["Documentation"],
  summary: "The reference's own script and style files (no other origin is ever asked)",
  request: { params: z.object({ file: z.string().max(64) }) },
  responses: {
    200: {
      description: "A script or style sheet",
      content: { "text/javascript": { schema: z.string() }, "text/css": { schema: z.string() } },
    },
    404: problemDoc("No such file"),
  },
});
