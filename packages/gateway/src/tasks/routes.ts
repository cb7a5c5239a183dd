import {
  pointsAwardedDataSchema,
  subjectIdSchema,
  type Task,
  taskAcknowledgeRequestSchema,
  taskCancelRequestSchema,
  taskCompleteRequestSchema,
  taskIdSchema,
  taskKindSchema,
  taskListResponseSchema,
  taskSchema,
  taskStatusSchema,
} from "@gigbridge/schemas";
import { createRoute, z } from "@hono/zod-openapi";
import type { Gateway } from "../core/context.js";
import { GatewayError, NotFoundError, UnavailableError, ValidationError } from "../core/errors.js";
import { routesApp } from "../http/app.js";
import { requireOrg, securitySchemes } from "../http/auth.js";
import { problemDoc } from "../http/problem.js";
import { readLedger } from "../processing/ledger.js";
import { routingTableOf } from "../processing/org-table.js";
import { loadRecord } from "../processing/records.js";
import { descendants, isWithin } from "../rules/routing.js";
import { type EmitEvent, outbox, taskUpdated } from "./events.js";
import type { TaskAction } from "./lifecycle.js";
import { taskMetrics } from "./metrics.js";
import { changeTask, getTask, listTasks, type TaskCursor } from "./store.js";

const refusals = {
  401: problemDoc("Missing or unknown organization key"),
  403: problemDoc("The key is not an organization key"),
  503: problemDoc("Redis is unavailable; retry after Retry-After seconds"),
};
const notFound = problemDoc("No such task for this organization or any organization below it");

const security = [{ [securitySchemes.org]: [] }];
const taskParams = z.object({ id: taskIdSchema });

const list = createRoute({
  method: "get",
  path: "/v1/tasks",
  tags: ["Tasks"],
  summary: "List the tasks of this organization and the organizations below it, oldest first",
  security,
  request: {
    query: z.object({
      status: taskStatusSchema.optional(),
      kind: taskKindSchema.optional(),
      cursor: z.string().max(256).optional().describe("`nextCursor` of the previous page."),
      limit: z.coerce
        .number()
        .int()
        .min(1)
        .max(200)
        .default(50)
        .describe("Tasks per page, 1 to 200; 50 by default."),
    }),
  },
  responses: {
    200: {
      description: "A page of tasks",
      content: { "application/json": { schema: taskListResponseSchema } },
    },
    422: problemDoc("A filter or the cursor is not valid"),
    ...refusals,
  },
});

const getOne = createRoute({
  method: "get",
  path: "/v1/tasks/{id}",
  tags: ["Tasks"],
  summary: "One task of this organization or an organization below it",
  security,
  request: { params: taskParams },
  responses: {
    200: { description: "The task", content: { "application/json": { schema: taskSchema } } },
    404: notFound,
    ...refusals,
  },
});

function actionRoute<S extends z.ZodType>(path: string, summary: string, schema: S, required: boolean) {
  return createRoute({
    method: "post",
    path,
    tags: ["Tasks"],
    summary,
    security,
    request: { params: taskParams, body: { required, content: { "application/json": { schema } } } },
    responses: {
      200: {
        description: "The task after the change",
        content: { "application/json": { schema: taskSchema } },
      },
      404: notFound,
      409: problemDoc(
        "The task's status does not allow this (`illegal-transition`); `taskStatus` says what it is",
      ),
      422: problemDoc("The body does not match the schema"),
      ...refusals,
    },
  });
}

const acknowledge = actionRoute(
  "/v1/tasks/{id}/acknowledge",
  "Acknowledge a task: the organization has taken it on",
  taskAcknowledgeRequestSchema,
  false,
);
const complete = actionRoute(
  "/v1/tasks/{id}/complete",
  "Complete a task with a note",
  taskCompleteRequestSchema,
  true,
);
const cancel = actionRoute(
  "/v1/tasks/{id}/cancel",
  "Cancel a task with a reason",
  taskCancelRequestSchema,
  true,
);

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
 * The pull API for organizations without their own IT system (or whose system polls): list, read,
 * acknowledge, complete and cancel tasks, and read a member's points. An org sees its own tasks and
 * those of the orgs below it; anything else answers 404, so an org cannot even learn that another
 * org's task exists.
 */
export function taskRoutes(gw: Gateway, options: { emit?: EmitEvent } = {}) {
  const emit = options.emit ?? outbox(gw);
  const app = routesApp();
  app.use("/v1/tasks", requireOrg(gw));
  app.use("/v1/tasks/*", requireOrg(gw));
  app.use("/v1/members/*", requireOrg(gw));

  app.openapi(list, async (c) => {
    const { status, kind, cursor, limit } = c.req.valid("query");
    const after = cursor === undefined ? null : decodeCursor(cursor);
    const page = await guard(async () => {
      const table = await routingTableOf(gw);
      const orgIds = descendants(table, c.get("org").id).map((org) => org.id);
      return listTasks(gw.redis, orgIds, { status, kind }, after, limit);
    });
    return c.json({ items: page.items, nextCursor: page.next ? encodeCursor(page.next) : null }, 200);
  });

  app.openapi(getOne, async (c) =>
    c.json(await visibleTask(gw, c.get("org").id, c.req.valid("param").id), 200),
  );

  const act = (viewerId: string, taskId: string, action: TaskAction) =>
    actOnTask(gw, emit, viewerId, taskId, action);

  app.openapi(acknowledge, async (c) =>
    c.json(await act(c.get("org").id, c.req.valid("param").id, { type: "acknowledge" }), 200),
  );
  app.openapi(complete, async (c) => {
    const { note } = c.req.valid("json");
    return c.json(await act(c.get("org").id, c.req.valid("param").id, { type: "complete", note }), 200);
  });
  app.openapi(cancel, async (c) => {
    const { reason } = c.req.valid("json");
    return c.json(await act(c.get("org").id, c.req.valid("param").id, { type: "cancel", reason }), 200);
  });

  app.openapi(points, async (c) => {
    const { subjectId } = c.req.valid("param");
    const { limit } = c.req.valid("query");
    const viewerId = c.get("org").id;
    const missing = new NotFoundError(`No member ${subjectId} in this organization or below it.`);
    const { record } = await guard(() => loadRecord(gw.redis, subjectId));
    if (!record?.orgId) throw missing;
    const orgId = record.orgId;
    const table = await guard(() => routingTableOf(gw));
    if (!isWithin(table, viewerId, orgId)) throw missing;
    const ledger = await guard(() => readLedger(gw.redis, subjectId, limit));
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

/**
 * An organization's action on a task of its own or of an org below it: the API's acknowledge, complete
 * and cancel, and the console's. A status that does not allow the action is a 409 `illegal_transition`.
 */
export async function actOnTask(
  gw: Gateway,
  emit: EmitEvent,
  viewerId: string,
  taskId: string,
  action: TaskAction,
): Promise<Task> {
  await visibleTask(gw, viewerId, taskId);
  const result = await guard(() => changeTask(gw.redis, taskId, action, gw.now()));
  if (result.outcome === "not_found") throw new NotFoundError(`No task ${taskId}.`);
  if (result.outcome === "illegal") {
    // An earlier request may have changed the task and lost its event on the way: make sure it is sent.
    if (result.task.status === result.illegal.to) await emitSafely(gw, emit, result.task);
    throw new GatewayError("illegal_transition", result.illegal.message, {
      extensions: { taskStatus: result.task.status },
    });
  }
  taskMetrics(gw).transitions.inc({ kind: result.task.kind, status: result.task.status });
  await guard(() => emit(taskUpdated(result.task, result.previousStatus)));
  return result.task;
}

/** A task the org may see (its own or below it), else 404 as if it did not exist. */
export async function visibleTask(gw: Gateway, viewerId: string, taskId: string): Promise<Task> {
  const [stored, table] = await guard(() => Promise.all([getTask(gw.redis, taskId), routingTableOf(gw)]));
  if (!stored || !isWithin(table, viewerId, stored.task.orgId)) {
    throw new NotFoundError(`No task ${taskId} for this organization or any organization below it.`);
  }
  return stored.task;
}

async function emitSafely(gw: Gateway, emit: EmitEvent, task: Task): Promise<void> {
  const previous =
    task.status === "acknowledged" || task.acknowledgedAt === undefined ? "open" : "acknowledged";
  await emit(taskUpdated(task, previous)).catch((error: unknown) => {
    gw.logger.warn({ err: error, taskId: task.id }, "could not re-emit task.updated");
  });
}

export function encodeCursor(cursor: TaskCursor): string {
  return Buffer.from(`${cursor.position}:${cursor.id}`).toString("base64url");
}

export function decodeCursor(text: string): TaskCursor {
  const match = /^(\d{1,17}):(tsk_[A-Za-z0-9_.-]{1,124})$/.exec(
    Buffer.from(text, "base64url").toString("utf8"),
  );
  if (!match) {
    throw new ValidationError("The cursor is not one this API gave out.", [
      { pointer: "/query/cursor", detail: "must be a `nextCursor` from a previous page" },
    ]);
  }
  return { position: Number(match[1]), id: match[2]! };
}

/** Redis failures on request paths become 503 with Retry-After; the gateway's own errors pass through. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    throw new UnavailableError("Redis is unavailable; retry shortly.", error);
  }
}
