import { erasureIdSchema, erasureSchema, workerIdSchema } from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { NotFoundError } from "../core/errors.js";
import { routesApp } from "../http/app.js";
import { requirePlatform, securitySchemes } from "../http/auth.js";
import { problemDoc } from "../http/problem.js";
import { erasureStatus, requestErasure } from "./erasures.js";

const refusals = {
  401: problemDoc("Missing or unknown platform key"),
  403: problemDoc("The key is not a platform key"),
  422: problemDoc("The id does not match its schema; `errors` lists the failing JSON Pointer"),
  503: problemDoc("Redis is unavailable; nothing was changed; retry after Retry-After seconds"),
};

const erase = createRoute({
  method: "delete",
  path: "/v1/workers/{workerId}",
  tags: ["Workers"],
  summary: "Erase a worker's personal data (PIPL art. 47)",
  description:
    "Removes the worker's id, name, phone, appeal summaries and notes everywhere the gateway keeps them: the worker record, stored decisions, signal jobs in every state, tasks (kept for the organizations, with those fields removed), queued and failed webhooks, attempt logs, the points ledger entries and station member sets. Organizations holding tasks about the worker receive `worker.erased`. Final: later signals for the worker, and replays of old ones, are refused with reason `erased`; a worker who returns must be sent under a new worker id. Idempotent, and the same answer whether or not the gateway ever knew the worker.",
  security: [{ [securitySchemes.platform]: [] }],
  request: { params: z.object({ workerId: workerIdSchema }) },
  responses: {
    202: {
      description: "Accepted; follow it at `GET /v1/erasures/{id}`.",
      content: { "application/json": { schema: erasureSchema } },
    },
    ...refusals,
  },
});

const getOne = createRoute({
  method: "get",
  path: "/v1/erasures/{id}",
  tags: ["Workers"],
  summary: "Progress of an erasure this platform requested",
  security: [{ [securitySchemes.platform]: [] }],
  request: { params: z.object({ id: erasureIdSchema }) },
  responses: {
    200: { description: "The erasure", content: { "application/json": { schema: erasureSchema } } },
    401: refusals[401],
    403: refusals[403],
    404: problemDoc("This platform requested no erasure with that id"),
    422: refusals[422],
    503: refusals[503],
  },
});

/** Erasure for platforms: `DELETE /v1/workers/{workerId}`, `GET /v1/erasures/{id}`. */
export function erasureRoutes(gw: Gateway) {
  const app = routesApp();
  app.use("/v1/workers/*", requirePlatform(gw));
  app.use("/v1/erasures/*", requirePlatform(gw));

  app.openapi(erase, async (c) => {
    const erasure = await requestErasure(gw, c.get("platform").id, c.req.valid("param").workerId);
    return c.json(erasure, 202, { Location: `/v1/erasures/${erasure.id}` });
  });

  app.openapi(getOne, async (c) => {
    const { id } = c.req.valid("param");
    const erasure = await erasureStatus(gw, c.get("platform").id, id);
    if (!erasure) throw new NotFoundError(`No erasure ${id} requested by this platform.`);
    return c.json(erasure, 200);
  });

  return app;
}
