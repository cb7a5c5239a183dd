/** @jsxImportSource hono/jsx */
import {
  eventTypes,
  offboardReasonLabels,
  type Task,
  type TaskStatus,
  taskKinds,
  taskStatuses,
} from "@gigbridge/schemas";
import type { Hono } from "hono";
import type { Gateway } from "../core/context.js";
import { ForbiddenError, GatewayError, ValidationError } from "../core/errors.js";
import { routingTableOf } from "../core/org-table.js";
import { listEndpointAttempts } from "../delivery/attempts.js";
import {
  createEndpoint,
  getEndpoint,
  listEndpoints,
  rotateSecret,
  withHealth,
} from "../delivery/endpoints.js";
import { enableEndpoint } from "../delivery/health.js";
import { sendTest } from "../delivery/routes.js";
import { descendants, isWithin } from "../rules/routing.js";
import type { EmitEvent } from "../tasks/events.js";
import type { TaskAction } from "../tasks/lifecycle.js";
import { actOnTask, visibleTask } from "../tasks/routes.js";
import { listTasks, type TaskCursor } from "../tasks/store.js";
import { type ConsoleContext, type ConsoleEnv, viewOf } from "./env.js";
import { enumLabels, type MessageKey, type Speaker } from "./i18n.js";
import { Csrf, Notice, Page, Select, type View } from "./layout.js";

/** Tasks per inbox page, and the most the inbox sorts at once (the newest this many that match). */
export const INBOX_PAGE = 25;
export const INBOX_SORTED = 2000;

const actions = ["acknowledge", "complete", "cancel"] as const;
type ActionName = (typeof actions)[number];
const actionLabels: Record<ActionName, MessageKey> = {
  acknowledge: "task.acknowledge",
  complete: "task.complete",
  cancel: "task.cancel",
};
const confirmLabels: Record<ActionName, MessageKey> = {
  acknowledge: "task.confirmAcknowledge",
  complete: "task.confirmComplete",
  cancel: "task.confirmCancel",
};

function orgOf(c: ConsoleContext): string {
  const principal = c.get("session").principal;
  if (principal.kind !== "org") throw new ForbiddenError("This page is for organizations.");
  return principal.id;
}

/** Urgent appeals and overdue tasks that are still open come first. */
function isUrgent(task: Task): boolean {
  const pending = task.status === "open" || task.status === "acknowledged";
  const urgentAppeal = task.kind === "follow_up_appeal" && task.details.urgency === "urgent";
  return pending && (urgentAppeal || task.overdueAt !== undefined);
}

const statusKey = (status: TaskStatus) => `status.${status}` as MessageKey;

export function orgPages(app: Hono<ConsoleEnv>, gw: Gateway, emit: EmitEvent): void {
  const guard = (c: ConsoleContext, next: () => Promise<void>) => {
    orgOf(c);
    return next();
  };
  for (const path of ["tasks", "webhooks"]) {
    app.use(`/console/${path}`, guard);
    app.use(`/console/${path}/*`, guard);
  }

  app.get("/console/tasks", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const viewerId = orgOf(c);
    const q = c.req.query();
    const status = (taskStatuses as readonly string[]).includes(q.status ?? "")
      ? (q.status as TaskStatus)
      : undefined;
    const kind = (taskKinds as readonly string[]).includes(q.kind ?? "")
      ? (q.kind as Task["kind"])
      : undefined;
    const overdue = q.overdue === "1";
    const page = Math.max(1, Math.min(1000, Number.parseInt(q.page ?? "1", 10) || 1));
    const table = await routingTableOf(gw);
    const subtree = descendants(table, viewerId);
    const child = q.org && isWithin(table, viewerId, q.org) ? q.org : viewerId;
    const orgIds = descendants(table, child).map((o) => o.id);
    // The index is ordered by arrival; the inbox reads the newest INBOX_SORTED that match and sorts those.
    const found: Task[] = [];
    let after: TaskCursor | null = null;
    do {
      const batch = await listTasks(gw.redis, orgIds, { status, kind }, after, 500);
      found.push(...batch.items.filter((t) => !overdue || t.overdueAt !== undefined));
      after = batch.next;
      if (found.length > INBOX_SORTED) found.splice(0, found.length - INBOX_SORTED);
    } while (after);
    found.sort(
      (a, b) =>
        Number(isUrgent(b)) - Number(isUrgent(a)) || Date.parse(b.createdAt) - Date.parse(a.createdAt),
    );
    const shown = found.slice((page - 1) * INBOX_PAGE, page * INBOX_PAGE);
    const pageLink = (n: number) => `/console/tasks?${new URLSearchParams({ ...q, page: String(n) })}`;
    return c.html(
      <Page view={view} title={say.t("inbox.title")}>
        <form method="get" action="/console/tasks" class="filters">
          <Select
            name="status"
            label={say.t("field.status")}
            any={say.t("common.all")}
            value={status}
            options={taskStatuses.map((s) => [s, say.t(statusKey(s))])}
          />
          <Select
            name="kind"
            label={say.t("field.kind")}
            any={say.t("common.all")}
            value={kind}
            options={taskKinds.map((k) => [k, say.label(enumLabels.taskKind, k)])}
          />
          <Select
            name="org"
            label={say.t("field.childOrg")}
            any={say.t("common.all")}
            value={q.org}
            options={subtree.map((o) => [o.id, o.name])}
          />
          <div>
            <input type="checkbox" id="f-overdue" name="overdue" value="1" checked={overdue} />{" "}
            <label for="f-overdue">{say.t("field.overdue")}</label>
          </div>
          <button type="submit">{say.t("common.filter")}</button>
        </form>
        <p>{say.t("inbox.order")}</p>
        <table>
          <thead>
            <tr>
              <th>{say.t("field.kind")}</th>
              <th>{say.t("field.status")}</th>
              <th>{say.t("field.org")}</th>
              <th>{say.t("field.created")}</th>
              <th>{say.t("field.deadline")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr data-task={t.id}>
                <td>
                  <a href={`/console/tasks/${encodeURIComponent(t.id)}`}>
                    {say.label(enumLabels.taskKind, t.kind)}
                  </a>{" "}
                  {isUrgent(t) ? (
                    <span class="badge urgent">{say.t(t.overdueAt ? "inbox.overdue" : "inbox.urgent")}</span>
                  ) : null}
                </td>
                <td>{say.t(statusKey(t.status))}</td>
                <td>{table.byId.get(t.orgId)?.name ?? t.orgId}</td>
                <td>{say.date(t.createdAt)}</td>
                <td>{say.date(t.deadline)}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 ? <p id="inbox-empty">{say.t("common.none")}</p> : null}
        <nav aria-label={say.t("common.page")} class="actions">
          {page > 1 ? <a href={pageLink(page - 1)}>{say.t("common.prev")}</a> : null}
          {found.length > page * INBOX_PAGE ? <a href={pageLink(page + 1)}>{say.t("common.next")}</a> : null}
        </nav>
      </Page>,
    );
  });

  const taskPage = async (
    c: ConsoleContext,
    task: Task,
    message?: { kind: "notice" | "problem"; text: string },
  ) => {
    const view = viewOf(c);
    const { say } = view;
    const table = await routingTableOf(gw);
    const open = task.status === "open" || task.status === "acknowledged";
    return (
      <Page view={view} title={`${say.t("task.title")}: ${say.label(enumLabels.taskKind, task.kind)}`}>
        {message ? <Notice kind={message.kind}>{message.text}</Notice> : null}
        <dl class="facts">
          <dt>{say.t("field.status")}</dt>
          <dd id="task-status">{say.t(statusKey(task.status))}</dd>
          <dt>{say.t("field.org")}</dt>
          <dd>{table.byId.get(task.orgId)?.name ?? task.orgId}</dd>
          <dt>{say.t("field.created")}</dt>
          <dd>{say.date(task.createdAt)}</dd>
          <dt>{say.t("field.deadline")}</dt>
          <dd>{say.date(task.deadline)}</dd>
          {task.overdueAt ? (
            <>
              <dt>{say.t("inbox.overdue")}</dt>
              <dd>{say.date(task.overdueAt)}</dd>
            </>
          ) : null}
          {task.regionCode ? (
            <>
              <dt>{say.t("field.region")}</dt>
              <dd>{task.regionCode}</dd>
            </>
          ) : null}
          {task.stationId ? (
            <>
              <dt>{say.t("field.station")}</dt>
              <dd>{task.stationId}</dd>
            </>
          ) : null}
          {task.note ? (
            <>
              <dt>{say.t("field.note")}</dt>
              <dd class="data">{task.note}</dd>
            </>
          ) : null}
          {task.cancelReason ? (
            <>
              <dt>{say.t("field.reasonCancel")}</dt>
              <dd class="data">{task.cancelReason}</dd>
            </>
          ) : null}
        </dl>
        <h2>{say.t("task.details")}</h2>
        <TaskDetails say={say} task={task} />
        {open ? (
          <div class="actions">
            {actions
              .filter((a) => a !== "acknowledge" || task.status === "open")
              .map((a) => (
                <a
                  class={a === "cancel" ? "button secondary" : "button"}
                  href={`/console/tasks/${encodeURIComponent(task.id)}/${a}`}
                >
                  {say.t(actionLabels[a])}
                </a>
              ))}
          </div>
        ) : null}
        <p>
          <a href="/console/tasks">{say.t("common.back")}</a>
        </p>
      </Page>
    );
  };

  app.get("/console/tasks/:id", async (c) => {
    const task = await visibleTask(gw, orgOf(c), c.req.param("id"));
    const done = c.req.query("done");
    const say = c.get("say");
    const message =
      done === "acknowledged" || done === "completed" || done === "cancelled"
        ? { kind: "notice" as const, text: say.t(`task.done.${done}`) }
        : undefined;
    return c.html(await taskPage(c, task, message));
  });

  app.get("/console/tasks/:id/:action", async (c) => {
    const action = c.req.param("action") as ActionName;
    if (!actions.includes(action)) return c.notFound();
    const task = await visibleTask(gw, orgOf(c), c.req.param("id"));
    const view = viewOf(c);
    const { say } = view;
    const field = action === "complete" ? "note" : action === "cancel" ? "reason" : undefined;
    return c.html(
      <Page view={view} title={say.t(actionLabels[action])}>
        <p>
          <strong>{say.label(enumLabels.taskKind, task.kind)}</strong> · {say.t(statusKey(task.status))}
        </p>
        <form method="post" action={`/console/tasks/${encodeURIComponent(task.id)}/${action}`}>
          <Csrf view={view} />
          <p id="confirm-text">{say.t(confirmLabels[action])}</p>
          {field ? (
            <div class="field">
              <label for="f-text">{say.t(field === "note" ? "field.note" : "field.reasonCancel")}</label>
              <textarea id="f-text" name="text" required maxlength={2000}></textarea>
            </div>
          ) : null}
          <div class="actions">
            <button type="submit" aria-describedby="confirm-text">
              {say.t("common.confirm")}
            </button>
            <a class="button secondary" href={`/console/tasks/${encodeURIComponent(task.id)}`}>
              {say.t("common.cancel")}
            </a>
          </div>
        </form>
      </Page>,
    );
  });

  app.post("/console/tasks/:id/:action", async (c) => {
    const name = c.req.param("action") as ActionName;
    if (!actions.includes(name)) return c.notFound();
    const viewerId = orgOf(c);
    const id = c.req.param("id");
    const form = await c.req.parseBody();
    const text = typeof form.text === "string" ? form.text.trim().slice(0, 2000) : "";
    if (name !== "acknowledge" && !text) {
      throw new ValidationError("A note or reason is required.", [{ pointer: "/text", detail: "required" }]);
    }
    const action: TaskAction =
      name === "acknowledge"
        ? { type: "acknowledge" }
        : name === "complete"
          ? { type: "complete", note: text }
          : { type: "cancel", reason: text };
    try {
      const task = await actOnTask(gw, emit, viewerId, id, action);
      return c.redirect(`/console/tasks/${encodeURIComponent(id)}?done=${task.status}`, 303);
    } catch (error) {
      if (!(error instanceof GatewayError) || error.kind !== "illegal_transition") throw error;
      // 409: say in words what the task is now, and show it as it is.
      const task = await visibleTask(gw, viewerId, id);
      const say = c.get("say");
      const message = say.t("task.conflict", { status: say.t(statusKey(task.status)) });
      return c.html(await taskPage(c, task, { kind: "problem", text: message }), 409);
    }
  });

  const webhooksPage = async (
    c: ConsoleContext,
    shown?: { endpointId: string; secret: string; kind: MessageKey },
    tested?: string,
  ) => {
    const view = viewOf(c);
    const { say } = view;
    const endpoints = await withHealth(gw, await listEndpoints(gw, orgOf(c)));
    return (
      <Page view={view} title={say.t("myEndpoints.title")}>
        {shown ? (
          <Notice>
            <p>{say.t(shown.kind)}</p>
            <p>
              <span>{say.t("field.secret")}: </span>
              <code id="new-secret" class="secret">
                {shown.secret}
              </code>{" "}
              <button type="button" data-copy="new-secret" data-copied={say.t("myEndpoints.copied")} hidden>
                {say.t("myEndpoints.copy")}
              </button>
            </p>
          </Notice>
        ) : null}
        {tested ? (
          <Notice>
            {say.t("myEndpoints.tested")} <code>{tested}</code>
          </Notice>
        ) : null}
        <table>
          <thead>
            <tr>
              <th>{say.t("field.endpoint")}</th>
              <th>{say.t("field.url")}</th>
              <th>{say.t("field.health")}</th>
              <th>{say.t("field.action")}</th>
            </tr>
          </thead>
          <tbody>
            {endpoints.map((e) => (
              <tr>
                <td>
                  <a href={`/console/webhooks/${encodeURIComponent(e.id)}`}>{e.id}</a>
                </td>
                <td>{e.url}</td>
                <td>
                  {say.t(
                    e.health.disabled
                      ? "endpoints.disabled"
                      : e.health.failingSince
                        ? "endpoints.failing"
                        : "endpoints.healthy",
                  )}
                </td>
                <td class="actions">
                  <EndpointAction view={view} id={e.id} action="test" label={say.t("myEndpoints.test")} />
                  {e.source === "api" ? (
                    <EndpointAction
                      view={view}
                      id={e.id}
                      action="rotate"
                      label={say.t("myEndpoints.rotate")}
                    />
                  ) : null}
                  {e.health.disabled ? (
                    <EndpointAction
                      view={view}
                      id={e.id}
                      action="enable"
                      label={say.t("myEndpoints.enable")}
                    />
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {endpoints.length === 0 ? <p>{say.t("common.none")}</p> : null}
        <h2>{say.t("myEndpoints.create")}</h2>
        <form method="post" action="/console/webhooks">
          <Csrf view={view} />
          <div class="field">
            <label for="f-url">{say.t("field.url")}</label>
            <input id="f-url" name="url" type="url" required maxlength={2048} />
          </div>
          <button type="submit">{say.t("myEndpoints.save")}</button>
        </form>
      </Page>
    );
  };

  app.get("/console/webhooks", async (c) => c.html(await webhooksPage(c)));

  app.post("/console/webhooks", async (c) => {
    const form = await c.req.parseBody();
    const url = typeof form.url === "string" ? form.url.trim() : "";
    const { endpoint, secret } = await createEndpoint(gw, orgOf(c), { url, events: [...eventTypes] });
    return c.html(
      await webhooksPage(c, { endpointId: endpoint.id, secret, kind: "myEndpoints.created" }),
      201,
    );
  });

  app.post("/console/webhooks/:id/:action", async (c) => {
    const orgId = orgOf(c);
    const id = c.req.param("id");
    const action = c.req.param("action");
    if (action === "rotate") {
      const { secret } = await rotateSecret(gw, orgId, id);
      return c.html(await webhooksPage(c, { endpointId: id, secret, kind: "myEndpoints.rotated" }));
    }
    if (action === "test") {
      const result = await sendTest(gw, orgId, id);
      return c.html(await webhooksPage(c, undefined, `${result.outcome} ${result.status ?? ""}`.trim()));
    }
    if (action === "enable") {
      await getEndpoint(gw, orgId, id);
      await enableEndpoint(gw, orgId, id);
      return c.redirect("/console/webhooks", 303);
    }
    return c.notFound();
  });

  app.get("/console/webhooks/:id", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const orgId = orgOf(c);
    const endpoint = await getEndpoint(gw, orgId, c.req.param("id"));
    const attempts = (await listEndpointAttempts(gw, orgId, endpoint.id, { limit: 100 })).items;
    return c.html(
      <Page view={view} title={`${say.t("myEndpoints.attempts")}: ${endpoint.id}`}>
        <table>
          <thead>
            <tr>
              <th>{say.t("field.at")}</th>
              <th>{say.t("field.attempt")}</th>
              <th>{say.t("field.outcome")}</th>
              <th class="num">{say.t("field.status")}</th>
              <th>{say.t("field.error")}</th>
            </tr>
          </thead>
          <tbody>
            {attempts.map((a) => (
              <tr>
                <td>{say.date(a.attemptedAt)}</td>
                <td>{a.attempt}</td>
                <td>{a.outcome}</td>
                <td class="num">{a.status ?? ""}</td>
                <td>
                  <code>{a.error ?? ""}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {attempts.length === 0 ? <p>{say.t("common.none")}</p> : null}
        <p>
          <a href="/console/webhooks">{say.t("common.back")}</a>
        </p>
      </Page>,
    );
  });
}

function EndpointAction(props: { view: View; id: string; action: string; label: string }) {
  return (
    <form method="post" action={`/console/webhooks/${encodeURIComponent(props.id)}/${props.action}`}>
      <Csrf view={props.view} />
      <button type="submit" class="secondary">
        {props.label}
      </button>
    </form>
  );
}

/** The task's details; the worker's contact only where the task carries it (the worker consented). */
function TaskDetails(props: { say: Speaker; task: Task }) {
  const { say, task } = props;
  const d = task.details as Record<string, unknown>;
  // Free text (a worker's summary, a home organization's name) is data, in whatever language it came in.
  const rows: [string, string, boolean?][] = [];
  const add = (key: MessageKey, value: unknown, text?: boolean) => {
    if (value !== undefined && value !== null && value !== "") rows.push([say.t(key), String(value), text]);
  };
  if (typeof d.politicalStatus === "string")
    add("field.politicalStatus", say.label(enumLabels.politicalStatus, d.politicalStatus));
  const home = d.homeOrganization as { name?: string } | undefined;
  add("field.homeOrg", home?.name, true);
  if (typeof d.category === "string") add("field.category", say.label(enumLabels.appealCategory, d.category));
  if (typeof d.urgency === "string") add("field.urgency", say.label(enumLabels.appealUrgency, d.urgency));
  add("field.summary", d.summary, true);
  if (typeof d.reason === "string") add("field.reason", say.label(offboardReasonLabels, d.reason));
  add("field.station", d.stationName);
  add("field.count", d.memberCount);
  const from = d.from as { regionCode?: string } | undefined;
  const to = d.to as { regionCode?: string } | undefined;
  if (from && to) add("field.region", `${from.regionCode} → ${to.regionCode}`);
  const contact = d.contact as { name?: string; phone?: string } | undefined;
  return (
    <dl class="facts">
      {rows.map(([k, v, text]) => (
        <>
          <dt>{k}</dt>
          <dd class={text ? "data" : undefined}>{v}</dd>
        </>
      ))}
      <dt>{say.t("field.contact")}</dt>
      <dd id="task-contact" class={contact ? "data" : undefined}>
        {contact ? `${contact.name ?? ""} ${contact.phone ?? ""}`.trim() : say.t("task.contactHidden")}
      </dd>
      {typeof d.workerId === "string" ? (
        <>
          <dt>{say.t("field.workerId")}</dt>
          <dd>{d.workerId}</dd>
        </>
      ) : null}
    </dl>
  );
}
