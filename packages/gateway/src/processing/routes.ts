import { pointsAwardedDataSchema, subjectIdSchema } from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { NotFoundError, withRedis } from "../core/errors.js";
import { routingTableOf } from "../core/org-table.js";
import { routesApp } from "../http/app.js";
import { requireOrg, securitySchemes } from "../http/auth.js";
import { problemDoc } from "../http/problem.js";
import { isWithin } from "../rules/routing.js";
import { readLedger } from "./ledger.js";
import { loadRecord } from "./records.js";

const refusals = {
  401: problemDoc("Missing or unknown organization key"),
  403: problemDoc("The key is not an organization key"),
  503: problemDoc("Redis is unavailable; retry after Retry-After seconds"),
};
const security = [{ [securitySchemes.org]: [] }];

const ledgerEntrySchema = pointsAwardedDataSchema.omit({ subjectId: true });
export const pointsLedgerSchema = z
  .object({
    subjectId: subjectIdSchema,
    orgId: pointsAwardedDataSchema.shape.orgId.describe("The member's covering organization now."),
    balance: z.number().min(0).describe("The member's points balance."),
    total: z.number().int().min(0).describe("Entries on the ledger in all."),
    entries: z.array(ledgerEntrySchema).describe("The newest entries first, at most `limit`."),
  })
  .meta({ id: "PointsLedger", description: "A member's points ledger (党员积分): one entry per activity." });

const points = createRoute({
  method: "get",
  path: "/v1/members/{subjectId}/points",
  tags: ["Members"],
  summary: "A member's points ledger, for the member's organization and the organizations above it",
  security,
  request: {
    params: z.object({ subjectId: subjectIdSchema }),
    query: z.object({
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(500)
        .default(100)
        .describe("Entries, newest first; 100 by default."),
    }),
  },
  responses: {
    200: { description: "The ledger", content: { "application/json": { schema: pointsLedgerSchema } } },
    404: problemDoc("No known member with that subject id in this organization or below it"),
    ...refusals,
  },
});

/**
 * What processing keeps about a member that an organization may read: the points ledger (R7). An
 * org sees the members it covers and those of the orgs below it; anyone else is a 404.
 */
export function memberRoutes(gw: Gateway) {
  const app = routesApp();
  app.use("/v1/members/*", requireOrg(gw));

  app.openapi(points, async (c) => {
    const { subjectId } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const viewerId = c.get("org").id;
    const missing = new NotFoundError(`No member ${subjectId} in this organization or below it.`);
    const { record } = await withRedis(() => loadRecord(gw.redis, subjectId));
    if (!record?.orgId) throw missing;
    const orgId = record.orgId;
    const table = await withRedis(() => routingTableOf(gw));
    if (!isWithin(table, viewerId, orgId)) throw missing;
    const ledger = await withRedis(() => readLedger(gw.redis, subjectId, limit));
    return c.json(
      {
        subjectId,
        orgId,
        balance: ledger.balance,
        total: ledger.total,
        entries: ledger.entries.map(
          ({ orgId: entryOrg, activityId, kind, hours, points, balance, occurredAt }) => ({
            orgId: entryOrg,
            activityId,
            kind,
            hours,
            points,
            balance,
            occurredAt,
          }),
        ),
      },
      200,
    );
  });

  return app;
}
