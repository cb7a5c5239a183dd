import {
  pageQuerySchema,
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
import { decodeCursor, encodeCursor, isNumber, isString } from "../core/cursor.js";
import { GatewayError, NotFoundError, withRedis } from "../core/errors.js";
import { routingTableOf } from "../core/org-table.js";
import { routesApp } from "../http/app.js";
import { requireOrg, securitySchemes } from "../http/auth.js";
import { problemDoc } from "../http/problem.js";
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
    query: pageQuerySchema.extend({
      status: taskStatusSchema.optional(),
      kind: taskKindSchema.optional(),
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
        "The task's status does not allow this (`illegal_transition`); `taskStatus` says what it is",
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

/**
 * The pull API for organizations without their own IT system (or whose system polls): list, read,
 * acknowledge, complete and cancel tasks. An org sees its own tasks and
 * those of the orgs below it; anything else answers 404, so an org cannot even learn that another
 * org's task exists.
 */
export function taskRoutes(gw: Gateway, options: { emit?: EmitEvent } = {}) {
  const emit = options.emit ?? outbox(gw);
  const app = routesApp();
  app.use("/v1/tasks", requireOrg(gw));
  app.use("/v1/tasks/*", requireOrg(gw));

  app.openapi(list, async (c) => {
    const { status, kind, cursor, limit } = c.req.valid("query");
    const after = cursor === undefined ? null : decodeCursor(cursor, readTaskCursor);
    const page = await withRedis(async () => {
      const table = await routingTableOf(gw);
      const orgIds = descendants(table, c.get("org").id).map((org) => org.id);
      return listTasks(gw.redis, orgIds, { status, kind }, after, limit);
    });
    return c.json(
      { items: page.items, nextCursor: page.next ? encodeCursor([page.next.position, page.next.id]) : null },
      200,
    );
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
  const result = await withRedis(() => changeTask(gw.redis, taskId, action, gw.now()));
  if (result.outcome === "not_found") throw new NotFoundError(`No task ${taskId}.`);
  if (result.outcome === "illegal") {
    // An earlier request may have changed the task and lost its event on the way: make sure it is sent.
    if (result.task.status === result.illegal.to) await emitSafely(gw, emit, result.task);
    throw new GatewayError("illegal_transition", result.illegal.message, {
      extensions: { taskStatus: result.task.status },
    });
  }
  taskMetrics(gw).transitions.inc({ kind: result.task.kind, status: result.task.status });
  await withRedis(() => emit(taskUpdated(result.task, result.previousStatus)));
  return result.task;
}

/** A task the org may see (its own or below it), else 404 as if it did not exist. */
export async function visibleTask(gw: Gateway, viewerId: string, taskId: string): Promise<Task> {
  const [stored, table] = await withRedis(() => Promise.all([getTask(gw.redis, taskId), routingTableOf(gw)]));
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

/** A task list's position: when the last task entered the index (µs), and its id. */
function readTaskCursor([position, id]: unknown[]): TaskCursor | undefined {
  return isNumber(position) && isString(id) && /^tsk_[A-Za-z0-9_.-]{1,124}$/.test(id)
    ? { position, id }
    : undefined;
}
