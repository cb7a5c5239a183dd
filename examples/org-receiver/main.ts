/**
 * An organization's system receiving GigBridge webhooks with the SDK's Hono handler.
 *
 *   PORT=8789 WEBHOOK_SECRET=whsec_... npm start -w @gigbridge/example-org-receiver
 *
 * Register http://127.0.0.1:8789/webhooks as an endpoint (configuration or
 * POST /v1/endpoints); WEBHOOK_SECRET is the secret the gateway showed. It
 * defaults to the secret of `ENDPOINT_ID` (default ep-jianwai-demo) in
 * examples/dev/credentials.json. The same app runs on Cloudflare Workers, Deno or
 * Bun: only the last lines (serve) are Node's.
 */
import { readFileSync } from "node:fs";
import { webhookHandler } from "@gigbridge/sdk/hono";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const credentials = JSON.parse(readFileSync(new URL("../dev/credentials.json", import.meta.url), "utf8")) as {
  endpointSecrets: Record<string, string>;
};
const secret =
  process.env.WEBHOOK_SECRET ??
  (credentials.endpointSecrets[process.env.ENDPOINT_ID ?? "ep-jianwai-demo"] as string);
const port = Number(process.env.PORT ?? 8789);
// Deliveries are at least once: remember webhook ids to act on each message once.
const seen = new Set<string>();

const app = new Hono();
// Refusals are logged without the body or headers, which may hold personal data.
app.use("/webhooks", async (c, next) => {
  await next();
  if (c.res.status !== 400) return;
  const problem = (await c.res.clone().json()) as { detail: string };
  console.log(`refused a delivery: ${problem.detail}`);
});
// The handler reads the raw body itself, verifies it, and answers 400 with a reason when the
// signature, timestamp or headers are wrong; 204 once onEvent has returned.
app.post(
  "/webhooks",
  webhookHandler({
    secret,
    onEvent: ({ id, event }) => {
      if (seen.has(id)) return;
      seen.add(id);
      if (event.type === "task.created" || event.type === "task.updated" || event.type === "task.overdue") {
        const { task } = event.data;
        console.log(
          `verified ${event.type}: ${task.kind} ${task.id} for ${task.orgId}, due ${task.deadline}`,
        );
      } else if (event.type === "unknown") {
        console.log(`verified an event of a newer type, ${event.unknownType}; ignored`);
      } else {
        console.log(`verified ${event.type}`);
      }
    },
  }),
);

const server = serve({ fetch: app.fetch, port, hostname: "127.0.0.1" }, () =>
  console.log(`org receiver listening on http://127.0.0.1:${port}/webhooks`),
);
process.on("SIGTERM", () => server.close());
process.on("SIGINT", () => server.close());
