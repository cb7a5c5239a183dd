/** @jsxImportSource hono/jsx */
import { orgConfigSchema, orgKinds, validationErrors } from "@gigbridge/schemas";
import type { Hono } from "hono";
import type { Gateway } from "../core/context.js";
import { ForbiddenError, ValidationError } from "../core/errors.js";
import { queues } from "../core/keys.js";
import { listEndpoints, withHealth } from "../delivery/endpoints.js";
import { listAudit } from "../ops/audit.js";
import { getFailure, listFailures } from "../ops/failures.js";
import { getReplay, type Operator, requestReplay } from "../ops/replays.js";
import { authorizeChange, enableEndpointFor, putOrg } from "../ops/routes.js";
import { type Failure, type FailureFilter, failureFilterSchema, opsQueues } from "../ops/schemas.js";
import { type ConsoleContext, type ConsoleEnv, viewOf } from "./env.js";
import { enumLabels, type MessageKey, type Speaker } from "./i18n.js";
import { Csrf, Notice, Page, Select, TextFilter } from "./layout.js";

/** Failures read for the grouped counts and the chart: the newest this many. */
export const FAILURES_SCANNED = 500;
const filterFields = ["queue", "reason", "platformId", "orgId", "endpointId", "type"] as const;
const groupings: [keyof Failure, MessageKey][] = [
  ["queue", "failures.byQueue"],
  ["reason", "failures.byReason"],
  ["platformId", "failures.byPlatform"],
  ["orgId", "failures.byOrg"],
  ["endpointId", "failures.byEndpoint"],
];

function operatorOf(c: ConsoleContext): Operator {
  const principal = c.get("session").principal;
  if (principal.kind !== "operator") throw new ForbiddenError("This page is for operators.");
  return { name: principal.name, role: principal.role };
}

/** The failure filter in a query string or form, checked by the API's own schema. */
function filterFrom(values: Record<string, unknown>): FailureFilter {
  const raw: Record<string, string> = {};
  for (const field of [...filterFields, "since"] as const) {
    const value = values[field];
    if (typeof value === "string" && value.trim()) raw[field] = value.trim();
  }
  const parsed = failureFilterSchema.safeParse(raw);
  if (!parsed.success) throw new ValidationError("The filter is not valid.", validationErrors(parsed.error));
  return parsed.data;
}

function filterQuery(filter: FailureFilter): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(filter)) if (v) params.set(k, String(v));
  return params.toString();
}

export function operatorPages(app: Hono<ConsoleEnv>, gw: Gateway): void {
  const guard = (c: ConsoleContext, next: () => Promise<void>) => {
    operatorOf(c);
    return next();
  };
  for (const path of ["failures", "replay", "replays", "audit", "endpoints", "queues", "orgs"]) {
    app.use(`/console/${path}`, guard);
    app.use(`/console/${path}/*`, guard);
  }

  app.get("/console/failures", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const filter = filterFrom(c.req.query());
    const page = await listFailures(gw, filter, { limit: FAILURES_SCANNED });
    const query = filterQuery(filter);
    return c.html(
      <Page view={view} title={say.t("failures.title")}>
        <FailureFilterForm say={say} filter={filter} action="/console/failures" />
        <div class="groups">
          {groupings.map(([field, title]) => (
            <GroupTable say={say} title={say.t(title)} field={field} items={page.items} filter={filter} />
          ))}
        </div>
        <p>{say.t("failures.scanned")}</p>
        <h2 id="chart-title">{say.t("failures.chart")}</h2>
        <HourlyChart say={say} items={page.items} now={gw.now()} />
        <h2>{say.t("failures.recent")}</h2>
        <p>
          <a class="button secondary" href={`/console/replay?${query}`}>
            {say.t("failures.replayFilter")}
          </a>
        </p>
        <form method="get" action="/console/replay">
          <table id="failure-list">
            <thead>
              <tr>
                <th>
                  <input
                    type="checkbox"
                    id="select-all"
                    data-select-all="ids"
                    aria-label={say.t("failures.select")}
                  />
                </th>
                <th>{say.t("field.failedAt")}</th>
                <th>{say.t("field.queue")}</th>
                <th>{say.t("field.reason")}</th>
                <th>{say.t("field.type")}</th>
                <th>{say.t("field.platform")}</th>
                <th>{say.t("field.org")}</th>
                <th class="num">{say.t("field.attempts")}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.slice(0, 100).map((f, i) => (
                <tr>
                  <td>
                    <input
                      type="checkbox"
                      name="ids"
                      value={f.id}
                      id={`pick-${i}`}
                      aria-label={`${say.t("failures.select")} ${f.id}`}
                    />
                  </td>
                  <td>
                    <a href={`/console/failures/${encodeURIComponent(f.id)}`}>{say.date(f.failedAt)}</a>
                  </td>
                  <td>{f.queue}</td>
                  <td>
                    <code>{f.reason}</code>
                  </td>
                  <td>{f.type}</td>
                  <td>{f.platformId ?? ""}</td>
                  <td>{f.orgId ?? ""}</td>
                  <td class="num">{f.attempts}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {page.items.length === 0 ? <p>{say.t("common.none")}</p> : null}
          <button type="submit">{say.t("failures.replaySelected")}</button>
        </form>
      </Page>,
    );
  });

  app.get("/console/failures/:id", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const failure = await getFailure(gw, c.req.param("id"));
    return c.html(
      <Page view={view} title={`${say.t("detail.title")}: ${failure.type}`}>
        <Notice>{say.t("detail.noPersonal")}</Notice>
        <dl class="facts">
          <dt>{say.t("field.id")}</dt>
          <dd>
            <code>{failure.id}</code>
          </dd>
          <dt>{say.t("field.queue")}</dt>
          <dd>{failure.queue}</dd>
          <dt>{say.t("field.reason")}</dt>
          <dd>
            <code>{failure.reason}</code>
          </dd>
          <dt>{say.t("field.type")}</dt>
          <dd>{failure.type}</dd>
          {failure.platform ? (
            <>
              <dt>{say.t("field.platform")}</dt>
              <dd>{failure.platform}</dd>
            </>
          ) : null}
          {failure.orgId ? (
            <>
              <dt>{say.t("field.org")}</dt>
              <dd>{failure.orgId}</dd>
            </>
          ) : null}
          {failure.endpointId ? (
            <>
              <dt>{say.t("field.endpoint")}</dt>
              <dd>{failure.endpointId}</dd>
            </>
          ) : null}
          <dt>{say.t("field.receivedAt")}</dt>
          <dd>{say.date(failure.receivedAt)}</dd>
          <dt>{say.t("field.failedAt")}</dt>
          <dd>{say.date(failure.failedAt)}</dd>
          <dt>{say.t("field.error")}</dt>
          <dd>
            <code>{failure.error}</code>
          </dd>
        </dl>
        <h2>{say.t("detail.attemptLog")}</h2>
        <table>
          <thead>
            <tr>
              <th class="num">{say.t("field.attempt")}</th>
              <th>{say.t("field.at")}</th>
              <th>{say.t("field.outcome")}</th>
              <th class="num">{say.t("field.status")}</th>
              <th>{say.t("field.error")}</th>
            </tr>
          </thead>
          <tbody>
            {failure.attemptLog.map((a) => (
              <tr>
                <td class="num">{a.attempt ?? ""}</td>
                <td>{say.date(a.attemptedAt)}</td>
                <td>{a.outcome ?? ""}</td>
                <td class="num">{a.status ?? ""}</td>
                <td>
                  <code>{a.error ?? ""}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div class="actions">
          <a class="button" href={`/console/replay?ids=${encodeURIComponent(failure.id)}`}>
            {say.t("nav.replay")}
          </a>
        </div>
      </Page>,
    );
  });

  /** The replay page: the selection, a dry run's count, and the button that starts it. */
  const replayPage = (
    c: ConsoleContext,
    selection: { ids?: string[]; filter?: FailureFilter },
    count?: number,
  ) => {
    const view = viewOf(c);
    const { say } = view;
    const viewer = operatorOf(c).role !== "operator";
    return (
      <Page view={view} title={say.t("replay.title")}>
        {viewer ? <Notice kind="readonly">{say.t("common.readOnly")}</Notice> : null}
        <h2>{say.t("replay.selection")}</h2>
        {selection.ids ? (
          <ul>
            {selection.ids.map((id) => (
              <li>
                <code>{id}</code>
              </li>
            ))}
          </ul>
        ) : (
          <dl class="facts">
            {Object.entries(selection.filter ?? {}).map(([k, v]) => (
              <>
                <dt>{say.t(`field.${k}` as MessageKey)}</dt>
                <dd>{String(v)}</dd>
              </>
            ))}
            {Object.keys(selection.filter ?? {}).length === 0 ? (
              <>
                <dt>{say.t("common.filter")}</dt>
                <dd>{say.t("common.all")}</dd>
              </>
            ) : null}
          </dl>
        )}
        {count !== undefined ? (
          <Notice>
            {say.t("replay.dryRunResult")} <strong id="dry-run-count">{count}</strong>
          </Notice>
        ) : null}
        <form method="post" action="/console/replay">
          <Csrf view={view} />
          {selection.ids?.map((id) => (
            <input type="hidden" name="ids" value={id} />
          ))}
          {Object.entries(selection.filter ?? {}).map(([k, v]) => (
            <input type="hidden" name={k} value={String(v)} />
          ))}
          <div class="actions">
            <button type="submit" name="mode" value="dry" class="secondary" disabled={viewer}>
              {say.t("replay.dryRun")}
            </button>
            <button type="submit" name="mode" value="run" disabled={viewer || count === undefined}>
              {say.t("replay.run")}
            </button>
          </div>
        </form>
      </Page>
    );
  };

  const selectionOf = (values: Record<string, string | string[] | unknown>) => {
    const raw = values.ids;
    const ids = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (v): v is string => typeof v === "string" && v.length > 0,
    );
    return ids.length > 0 ? { ids } : { filter: filterFrom(values) };
  };

  app.get("/console/replay", (c) => c.html(replayPage(c, selectionOf(c.req.queries() ?? {}))));

  app.post("/console/replay", async (c) => {
    const form = await c.req.parseBody({ all: true });
    const dry = form.mode !== "run";
    const operator = await authorizeChange(gw, operatorOf(c), dry ? "replay.dry_run" : "replay");
    const selection = selectionOf(form);
    const answer = await requestReplay(gw, operator, { ...selection, dryRun: dry });
    if ("dryRun" in answer) return c.html(replayPage(c, selection, answer.count));
    return c.redirect(`/console/replays/${answer.id}`, 303);
  });

  app.get("/console/replays/:id", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const replay = await getReplay(gw, c.req.param("id"));
    const finished = replay.status === "completed" || replay.status === "failed";
    const settled = replay.done + replay.skipped + replay.failed;
    return c.html(
      <Page view={view} title={say.t("replay.progress")} {...(finished ? {} : { refreshSeconds: 1 })}>
        <p>
          {say.t("field.status")}:{" "}
          <strong id="replay-status" data-status={replay.status}>
            {say.t(`replay.status.${replay.status}`)}
          </strong>
        </p>
        <progress max={Math.max(replay.total, 1)} value={settled} aria-labelledby="replay-status">
          {settled}/{replay.total}
        </progress>
        <dl class="facts">
          <dt>{say.t("field.total")}</dt>
          <dd id="replay-total">{replay.total}</dd>
          <dt>{say.t("field.done")}</dt>
          <dd id="replay-done">{replay.done}</dd>
          <dt>{say.t("field.skipped")}</dt>
          <dd id="replay-skipped">{replay.skipped}</dd>
          <dt>{say.t("field.failed")}</dt>
          <dd id="replay-failed">{replay.failed}</dd>
          <dt>{say.t("field.operator")}</dt>
          <dd>{replay.operator}</dd>
          <dt>{say.t("field.created")}</dt>
          <dd>{say.date(replay.createdAt)}</dd>
        </dl>
        {finished ? null : <p>{say.t("replay.refresh")}</p>}
        <p>
          <a href={`/console/audit?action=replay`}>{say.t("nav.audit")}</a>
        </p>
      </Page>,
    );
  });

  app.get("/console/audit", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const q = c.req.query();
    const query = {
      limit: 100,
      ...(q.operator ? { operator: q.operator } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.since ? { since: new Date(q.since).toISOString() } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
    };
    if (q.since && Number.isNaN(Date.parse(q.since))) {
      throw new ValidationError("since", [{ pointer: "/query/since", detail: "a date" }]);
    }
    const page = await listAudit(gw, query);
    return c.html(
      <Page view={view} title={say.t("audit.title")}>
        <form method="get" action="/console/audit" class="filters">
          <TextFilter name="operator" label={say.t("field.operator")} value={q.operator} />
          <TextFilter name="action" label={say.t("field.action")} value={q.action} />
          <TextFilter name="since" label={say.t("field.since")} value={q.since} type="date" />
          <button type="submit">{say.t("common.filter")}</button>
        </form>
        <table>
          <thead>
            <tr>
              <th>{say.t("field.at")}</th>
              <th>{say.t("field.operator")}</th>
              <th>{say.t("field.role")}</th>
              <th>{say.t("field.action")}</th>
              <th>{say.t("field.outcome")}</th>
              <th class="num">{say.t("field.count")}</th>
              <th>{say.t("field.target")}</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((e) => (
              <tr>
                <td>{say.date(e.recordedAt)}</td>
                <td>{e.operator}</td>
                <td>{say.t(e.role === "operator" ? "who.operator" : "who.viewer")}</td>
                <td>
                  <code>{e.action}</code>
                </td>
                <td>
                  <code>{e.outcome}</code>
                </td>
                <td class="num">{e.count}</td>
                <td>
                  <code>{e.target ?? ""}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {page.items.length === 0 ? <p>{say.t("common.none")}</p> : null}
        {page.nextCursor ? (
          <a href={`/console/audit?${new URLSearchParams({ ...q, cursor: page.nextCursor })}`}>
            {say.t("common.next")}
          </a>
        ) : null}
      </Page>,
    );
  });

  app.get("/console/endpoints", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const viewer = operatorOf(c).role !== "operator";
    const orgs = await gw.orgs.list();
    const all = (
      await Promise.all(orgs.map(async (o) => withHealth(gw, await listEndpoints(gw, o.id))))
    ).flat();
    const troubled = all.filter((e) => e.health.disabled || e.health.failingSince);
    return c.html(
      <Page view={view} title={say.t("endpoints.title")}>
        {c.req.query("enabled") ? <Notice>{say.t("endpoints.enabled")}</Notice> : null}
        {viewer ? <Notice kind="readonly">{say.t("common.readOnly")}</Notice> : null}
        <table>
          <thead>
            <tr>
              <th>{say.t("field.org")}</th>
              <th>{say.t("field.endpoint")}</th>
              <th>{say.t("field.url")}</th>
              <th>{say.t("field.health")}</th>
              <th>{say.t("field.since")}</th>
              <th>{say.t("field.action")}</th>
            </tr>
          </thead>
          <tbody>
            {troubled.map((e) => (
              <tr>
                <td>{e.orgId}</td>
                <td>{e.id}</td>
                <td>{e.url}</td>
                <td>{say.t(e.health.disabled ? "endpoints.disabled" : "endpoints.failing")}</td>
                <td>{say.date(e.health.disabledAt ?? e.health.failingSince)}</td>
                <td>
                  {e.health.disabled ? (
                    <form
                      method="post"
                      action={`/console/endpoints/${encodeURIComponent(e.orgId)}/${encodeURIComponent(e.id)}/enable`}
                    >
                      <Csrf view={view} />
                      <button type="submit" disabled={viewer}>
                        {say.t("endpoints.enable")}
                      </button>
                    </form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {troubled.length === 0 ? <p>{say.t("common.none")}</p> : null}
      </Page>,
    );
  });

  app.post("/console/endpoints/:org/:endpoint/enable", async (c) => {
    const { org, endpoint } = c.req.param();
    const operator = await authorizeChange(gw, operatorOf(c), "endpoint.enable", `${org}/${endpoint}`);
    await enableEndpointFor(gw, operator, org, endpoint);
    return c.redirect("/console/endpoints?enabled=1", 303);
  });

  app.get("/console/queues", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const names = Object.keys(queues) as (keyof typeof queues)[];
    const counts = await Promise.all(
      names.map((q) => gw.queue(q).getJobCounts("waiting", "active", "delayed", "failed", "completed")),
    );
    const titles: Record<keyof typeof queues, MessageKey> = {
      signals: "queues.signals",
      deliveries: "queues.deliveries",
      overdue: "queues.overdue",
      replays: "queues.replays",
      erasures: "queues.erasures",
    };
    return c.html(
      <Page view={view} title={say.t("queues.title")}>
        <table>
          <thead>
            <tr>
              <th>{say.t("field.queue")}</th>
              <th class="num">{say.t("field.waiting")}</th>
              <th class="num">{say.t("field.active")}</th>
              <th class="num">{say.t("field.delayed")}</th>
              <th class="num">{say.t("field.failed")}</th>
              <th class="num">{say.t("field.completed")}</th>
            </tr>
          </thead>
          <tbody>
            {names.map((q, i) => (
              <tr>
                <td>{say.t(titles[q])}</td>
                <td class="num">{counts[i]?.waiting ?? 0}</td>
                <td class="num">{counts[i]?.active ?? 0}</td>
                <td class="num">{counts[i]?.delayed ?? 0}</td>
                <td class="num">{counts[i]?.failed ?? 0}</td>
                <td class="num">{counts[i]?.completed ?? 0}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Page>,
    );
  });

  app.get("/console/orgs", async (c) => {
    const view = viewOf(c);
    const { say } = view;
    const viewer = operatorOf(c).role !== "operator";
    const q = (c.req.query("q") ?? "").trim().toLowerCase();
    const orgs = await gw.orgs.list();
    const shown = orgs.filter(
      (o) => !q || [o.id, o.code, o.name, ...o.regions].some((text) => text.toLowerCase().includes(q)),
    );
    return c.html(
      <Page view={view} title={say.t("orgs.title")}>
        {c.req.query("added") ? <Notice>{say.t("orgs.added")}</Notice> : null}
        <form method="get" action="/console/orgs" class="filters">
          <TextFilter name="q" label={say.t("common.search")} value={c.req.query("q")} type="search" />
          <button type="submit">{say.t("common.search")}</button>
        </form>
        <table>
          <thead>
            <tr>
              <th>{say.t("field.id")}</th>
              <th>{say.t("field.code")}</th>
              <th>{say.t("field.name")}</th>
              <th>{say.t("field.kind")}</th>
              <th>{say.t("field.parent")}</th>
              <th>{say.t("field.regions")}</th>
            </tr>
          </thead>
          <tbody>
            {shown.slice(0, 500).map((o) => (
              <tr>
                <td>{o.id}</td>
                <td>{o.code}</td>
                <td>{o.name}</td>
                <td>{say.label(enumLabels.orgKind, o.kind)}</td>
                <td>{o.parent ?? ""}</td>
                <td>{o.regions.join(", ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {shown.length === 0 ? <p>{say.t("common.none")}</p> : null}
        <h2>{say.t("orgs.add")}</h2>
        {viewer ? <Notice kind="readonly">{say.t("common.readOnly")}</Notice> : null}
        <form method="post" action="/console/orgs">
          <Csrf view={view} />
          <div class="filters">
            <TextFilter name="id" label={say.t("field.id")} value={undefined} />
            <TextFilter name="code" label={say.t("field.code")} value={undefined} />
            <TextFilter name="name" label={say.t("field.name")} value={undefined} />
            <Select
              name="kind"
              id="org-kind"
              label={say.t("field.kind")}
              any={say.t("field.kind")}
              value={undefined}
              options={orgKinds.map((k) => [k, say.label(enumLabels.orgKind, k)])}
            />
            <Select
              name="parent"
              id="org-parent"
              label={say.t("field.parent")}
              any={say.t("orgs.noParent")}
              value={undefined}
              options={orgs.map((o) => [o.id, `${o.name} (${o.id})`])}
            />
            <div>
              <label for="f-regions">{say.t("field.regions")}</label>
              <input id="f-regions" name="regions" aria-describedby="regions-help" />
              <p id="regions-help">{say.t("orgs.regionsHelp")}</p>
            </div>
          </div>
          <button type="submit" disabled={viewer}>
            {say.t("orgs.save")}
          </button>
        </form>
      </Page>,
    );
  });

  app.post("/console/orgs", async (c) => {
    const form = await c.req.parseBody();
    const text = (name: string) => (typeof form[name] === "string" ? (form[name] as string).trim() : "");
    const operator = await authorizeChange(gw, operatorOf(c), "org.put", text("id") || undefined);
    const parsed = orgConfigSchema.safeParse({
      id: text("id"),
      code: text("code"),
      name: text("name"),
      kind: text("kind"),
      parent: text("parent") || null,
      regions: text("regions")
        .split(/[,\s，]+/)
        .filter(Boolean),
    });
    if (!parsed.success) throw new ValidationError("The org is not valid.", validationErrors(parsed.error));
    await putOrg(gw, operator, parsed.data);
    return c.redirect(`/console/orgs?added=1&q=${encodeURIComponent(parsed.data.id)}`, 303);
  });
}

function FailureFilterForm(props: { say: Speaker; filter: FailureFilter; action: string }) {
  const { say, filter } = props;
  return (
    <form method="get" action={props.action} class="filters">
      <Select
        name="queue"
        label={say.t("field.queue")}
        any={say.t("common.all")}
        value={filter.queue}
        options={opsQueues.map((q) => [q, q])}
      />
      <TextFilter name="reason" label={say.t("field.reason")} value={filter.reason} />
      <TextFilter name="platformId" label={say.t("field.platform")} value={filter.platformId} />
      <TextFilter name="orgId" label={say.t("field.org")} value={filter.orgId} />
      <TextFilter name="endpointId" label={say.t("field.endpoint")} value={filter.endpointId} />
      <button type="submit">{say.t("common.filter")}</button>
    </form>
  );
}

function GroupTable(props: {
  say: Speaker;
  title: string;
  field: keyof Failure;
  items: Failure[];
  filter: FailureFilter;
}) {
  const counts = new Map<string, number>();
  for (const item of props.items) {
    const value = item[props.field];
    if (typeof value === "string") counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const rows = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return (
    <table>
      <caption>{props.title}</caption>
      <thead>
        <tr>
          <th>{props.say.t(`field.${props.field.replace(/Id$/, "")}` as MessageKey)}</th>
          <th class="num">{props.say.t("common.count")}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([value, count]) => (
          <tr>
            <td>
              <a href={`/console/failures?${filterQuery({ ...props.filter, [props.field]: value })}`}>
                {value}
              </a>
            </td>
            <td class="num">{count}</td>
          </tr>
        ))}
        {rows.length === 0 ? (
          <tr>
            <td colspan={2}>{props.say.t("common.none")}</td>
          </tr>
        ) : null}
      </tbody>
    </table>
  );
}

/** Failures per hour over the last 24 hours, as inline SVG (no script, no other origin). */
function HourlyChart(props: { say: Speaker; items: Failure[]; now: number }) {
  const hour = 3_600_000;
  const end = Math.ceil(props.now / hour) * hour;
  const buckets = Array.from({ length: 24 }, () => 0);
  for (const item of props.items) {
    const index = 23 - Math.floor((end - Date.parse(item.failedAt)) / hour);
    if (index >= 0 && index < 24) buckets[index] = (buckets[index] ?? 0) + 1;
  }
  const max = Math.max(1, ...buckets);
  const width = 24 * 30;
  const height = 140;
  const summary = buckets.map((n, i) => `${props.say.date(end - (24 - i) * hour)}: ${n}`).join("; ");
  return (
    <svg class="chart" viewBox={`0 -14 ${width} ${height + 34}`} role="img" aria-describedby="chart-desc">
      <title>{props.say.t("failures.chart")}</title>
      <desc id="chart-desc">{summary}</desc>
      {buckets.map((n, i) => {
        const h = Math.round((n / max) * height);
        return (
          <g>
            <rect x={i * 30 + 4} y={height - h} width={22} height={h} />
            {n > 0 ? (
              <text x={i * 30 + 15} y={height - h - 2} text-anchor="middle">
                {n}
              </text>
            ) : null}
          </g>
        );
      })}
      <text x={0} y={height + 14}>
        {props.say.date(end - 24 * hour)}
      </text>
      <text x={width} y={height + 14} text-anchor="end">
        {props.say.date(end)}
      </text>
    </svg>
  );
}
