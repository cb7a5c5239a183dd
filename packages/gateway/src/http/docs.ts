import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "./env.js";

/**
 * `/docs`: an interactive API reference (Scalar) reading `/openapi.json`. The
 * page loads Scalar's script in the reader's browser; the gateway ships no UI code.
 */
export function docsRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>GigBridge API reference</title>
  </head>
  <body>
    <script id="api-reference" data-url="/openapi.json"></script>
    <script src="https://cdn.jsdelivr.net/npm/@scalar/api-reference"></script>
  </body>
</html>`;
  app.openapi(docsRoute, (c) => c.html(page, 200));
  return app;
}

const docsRoute = createRoute({
  method: "get",
  path: "/docs",
  tags: ["Documentation"],
  summary: "Interactive API reference (Scalar) over /openapi.json",
  responses: { 200: { description: "An HTML page", content: { "text/html": { schema: z.string() } } } },
});
