// @ts-check
// The bare-Hono ceiling: the least an HTTP JSON API on this stack can do per
// request. Parses the JSON body and answers 202 with a small JSON, like the
// gateway's intake reply, with nothing else (no auth, validation or Redis).
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.post("/v1/signals", async (c) => {
  const body = await c.req.json();
  return c.json({ accepted: [body.id], duplicates: [] }, 202);
});
app.post("/v1/signals/batch", async (c) => {
  const body = await c.req.json();
  /** @type {{ signals: { id: string }[] }} */
  const batch = body;
  return c.json({ accepted: batch.signals.map((s) => s.id), duplicates: [] }, 202);
});

const server = serve(
  { fetch: app.fetch, port: Number(process.argv[2] ?? 0), hostname: "127.0.0.1" },
  (info) => {
    console.log(`ready ${info.port}`);
  },
);
process.once("SIGTERM", () => server.close(() => process.exit(0)));
