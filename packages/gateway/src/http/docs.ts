import { Hono } from "hono";
import type { AppEnv } from "./env.js";

/**
 * `/docs`: an interactive API reference (Scalar) reading `/openapi.json`. The
 * page loads Scalar's script in the reader's browser; the gateway ships no UI code.
 */
export function docsRoutes() {
  const app = new Hono<AppEnv>();
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
  app.get("/docs", (c) => c.html(page));
  return app;
}
