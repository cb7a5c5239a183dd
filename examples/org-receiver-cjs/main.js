// An organization's system receiving GigBridge webhooks, in plain CommonJS JavaScript: the
// shape of an older Express service or a NestJS app compiled to CommonJS.
//
//   PORT=8791 WEBHOOK_SECRET=whsec_... npm start -w @gigbridge/example-org-receiver-cjs
//
// WEBHOOK_SECRET defaults to the secret of ENDPOINT_ID (default ep-jianwai-demo) in
// examples/dev/credentials.json.
"use strict";

const { readFileSync } = require("node:fs");
const { join } = require("node:path");
const express = require("express");
const { webhookMiddleware } = require("@gigbridge/sdk/express");

const credentials = JSON.parse(readFileSync(join(__dirname, "..", "dev", "credentials.json"), "utf8"));
const secret =
  process.env.WEBHOOK_SECRET || credentials.endpointSecrets[process.env.ENDPOINT_ID || "ep-jianwai-demo"];
const port = Number(process.env.PORT || 8791);
// Deliveries are at least once: remember webhook ids to act on each message once.
const seen = new Set();

const app = express();
// An app-wide JSON parser, as most Express services have: the middleware still verifies.
app.use(express.json());
app.post(
  "/webhooks",
  webhookMiddleware({
    secret,
    onEvent: ({ id, event }) => {
      if (seen.has(id)) return;
      seen.add(id);
      if (event.type === "task.created" || event.type === "task.updated" || event.type === "task.overdue") {
        const { task } = event.data;
        console.log(
          `verified ${event.type}: ${task.kind} ${task.id} for ${task.orgId}, due ${task.deadline}`,
        );
      } else {
        console.log(`verified ${event.type}`);
      }
    },
  }),
);

const server = app.listen(port, "127.0.0.1", () =>
  console.log(`org receiver (CommonJS) listening on http://127.0.0.1:${port}/webhooks`),
);
process.on("SIGTERM", () => server.close());
process.on("SIGINT", () => server.close());
