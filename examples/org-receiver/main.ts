/**
 * An organization's system receiving GigBridge webhooks, verifying each one.
 *
 *   PORT=8789 WEBHOOK_SECRET=whsec_... npm start -w @gigbridge/example-org-receiver
 *
 * Register http://127.0.0.1:8789/webhooks as an endpoint (configuration or
 * POST /v1/endpoints); WEBHOOK_SECRET is the secret the gateway showed. It
 * defaults to the secret of `ENDPOINT_ID` (default ep-jianwai-demo) in
 * examples/dev/credentials.json.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { verifyWebhook, WebhookVerificationError } from "@gigbridge/sdk";

const credentials = JSON.parse(readFileSync(new URL("../dev/credentials.json", import.meta.url), "utf8")) as {
  endpointSecrets: Record<string, string>;
};
const secret =
  process.env.WEBHOOK_SECRET ??
  (credentials.endpointSecrets[process.env.ENDPOINT_ID ?? "ep-jianwai-demo"] as string);
const port = Number(process.env.PORT ?? 8789);
// Deliveries are at least once: remember webhook ids to act on each message once.
const seen = new Set<string>();

const server = createServer(async (req, res) => {
  if (req.method !== "POST" || req.url !== "/webhooks") {
    res.writeHead(404).end();
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    // The raw bytes, exactly as received: a re-serialised body would not verify.
    const event = verifyWebhook(Buffer.concat(chunks), req.headers, secret);
    const id = String(req.headers["webhook-id"]);
    if (!seen.has(id)) {
      seen.add(id);
      if (event.type === "task.created" || event.type === "task.updated" || event.type === "task.overdue") {
        const { task } = event.data;
        console.log(
          `verified ${event.type}: ${task.kind} ${task.id} for ${task.orgId}, due ${task.deadline}`,
        );
      } else {
        console.log(`verified ${event.type}`);
      }
    }
    res.writeHead(204).end();
  } catch (error) {
    console.log(`refused a delivery: ${(error as Error).message}`);
    res.writeHead(error instanceof WebhookVerificationError ? 401 : 400).end();
  }
});

server.listen(port, "127.0.0.1", () =>
  console.log(`org receiver listening on http://127.0.0.1:${port}/webhooks`),
);
process.on("SIGTERM", () => server.close());
process.on("SIGINT", () => server.close());
