import { readFileSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import { eachItem } from "@gigbridge/sdk";
import type {
  AuditEntry,
  EndpointAttempts,
  Failure,
  FailureDetail,
  MessageAttempts,
  OpsAttempt,
  Replay,
} from "../ops/schemas.js";

/**
 * `gigbridge ops`: the operator console on the command line. Everything but
 * `token create` goes through the gateway's `/v1/ops` API, so the CLI can do
 * exactly what the API allows and every change lands in the audit log.
 */

const usage = `Usage: gigbridge ops <command> [options]

Commands:
  failures [filters] [--limit n] [--cursor c] [--all]   list failed work, newest first
  show <id>                                             one failure with its attempts
  attempts <message-id> [--org o]                       a message's state and attempts, delivered, retrying
                                                        or failed (--org once its job is gone)
  attempts --org o --endpoint e [--limit n]             an endpoint's recent attempts, newest first
  replay (--ids <id,...|-> | filters | --all) [--dry-run] [--no-wait]
                                                        replay failed work; waits with a progress bar
  audit [--operator n] [--action a] [--since T] [--limit n] [--cursor c]
                                                        the audit log, newest first
  orgs                                                  the organization tree
  orgs add <file.json|->                                add a run-time org (fixes no_route; then replay)
  endpoints enable <org> <endpoint>                     re-enable a disabled webhook endpoint
  token create --role viewer|operator [--name n] [--expires-in d]
                                                        print a new operator token once (needs REDIS_URL)
  token list [--config file]                            operator tokens: id, name, created, last used
  token revoke <id> [--config file]                     refuse a token from now on (needs REDIS_URL)

Filters: --queue signals|deliveries --reason r --platform p --org o --endpoint e
         --type t --since T --until T   (T: RFC 3339 time, or a duration ago such as 2h or 30m)

Options: --url <gateway>   (default: $GIGBRIDGE_URL or http://127.0.0.1:8787)
         --token <token>   (default: $GIGBRIDGE_OPS_TOKEN)
         --json            machine-readable output on stdout

Exit codes: 0 done; 1 the gateway failed (5xx) or another error; 2 usage;
3 not authenticated or not allowed (401/403); 4 not found (404);
5 a replay finished with items it could not replay, or the replay itself failed;
6 the gateway could not be reached.`;

export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  replayIncomplete: 5,
  unreachable: 6,
} as const;

class CliError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const common = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

const filterOptions = {
  queue: { type: "string" },
  reason: { type: "string" },
  platform: { type: "string" },
  org: { type: "string" },
  endpoint: { type: "string" },
  type: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
} as const satisfies Options;

type Values = { [key: string]: string | boolean | undefined };

type Options = NonNullable<ParseArgsConfig["options"]>;

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({
      args,
      options: { ...common, ...options } as typeof common & O,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.usage);
  }
}

export async function opsCommand(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case "failures":
        return await failures(rest);
      case "show":
        return await show(rest);
      case "attempts":
        return await attempts(rest);
      case "replay":
        return await replay(rest);
      case "audit":
        return await audit(rest);
      case "orgs":
        return await orgs(rest);
      case "endpoints":
        return await endpoints(rest);
      case "token":
        return await token(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(usage);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new CliError(`unknown command "${command}"\n\n${usage}`, EXIT.usage);
    }
  } catch (error) {
    if (error instanceof CliError) {
      console.error(`gigbridge ops: ${error.message}`);
      return error.code;
    }
    throw error;
  }
}

// ---- HTTP ----------------------------------------------------------------

interface Api {
  url: string;
  token: string;
}

function api(values: Values): Api {
  const url = (
    (values.url as string | undefined) ??
    process.env.GIGBRIDGE_URL ??
    "http://127.0.0.1:8787"
  ).replace(/\/+$/, "");
  const token = (values.token as string | undefined) ?? process.env.GIGBRIDGE_OPS_TOKEN;
  if (!token) throw new CliError("give --token or set GIGBRIDGE_OPS_TOKEN to an operator token", EXIT.usage);
  return { url, token };
}

/** Every item of a list, page after page, with the SDK's iterator (the API's one paging convention). */
export function eachItemOf<T>(target: Api, path: string, query = new URLSearchParams()): AsyncGenerator<T> {
  return eachItem((cursor) => {
    const page = new URLSearchParams(query);
    page.set("limit", "200");
    if (cursor) page.set("cursor", cursor);
    return call<{ items: T[]; nextCursor: string | null }>(target, "GET", `${path}?${page}`);
  });
}

async function call<T>(target: Api, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(target.url + path, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(60_000),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliError(`cannot reach the gateway at ${target.url} (${cause})`, EXIT.unreachable);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  throw new CliError(problemText(response.status, parsed, text), exitFor(response.status));
}

function exitFor(status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 400 || status === 422) return EXIT.usage;
  return EXIT.error;
}

function problemText(status: number, problem: unknown, raw: string): string {
  const p = problem as
    | { title?: string; detail?: string; errors?: { pointer: string; detail: string }[] }
    | undefined;
  if (!p?.title) return `HTTP ${status}: ${raw.slice(0, 200)}`;
  const lines = [`${p.title} (HTTP ${status}): ${p.detail ?? ""}`];
  for (const e of p.errors ?? []) lines.push(`  ${e.pointer || "(body)"}: ${e.detail}`);
  return lines.join("\n");
}

// ---- Filters ---------------------------------------------------------------

/** `2h`, `30m`, `7d` ago, or an RFC 3339 time as given. */
export function parseTime(text: string, now = Date.now()): string {
  const ago = text.match(/^(\d+)(s|m|h|d)$/);
  if (ago) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as "s" | "m" | "h" | "d"];
    return new Date(now - Number(ago[1]) * unit).toISOString();
  }
  if (Number.isNaN(Date.parse(text))) {
    throw new CliError(
      `"${text}" is not a time: give RFC 3339 (2024-06-01T09:00:00Z) or a duration ago (2h)`,
      EXIT.usage,
    );
  }
  return text;
}

/** The API's name for each filter option (`--platform` is `platformId`). */
const filterFields: Record<keyof typeof filterOptions, string> = {
  queue: "queue",
  reason: "reason",
  platform: "platformId",
  org: "orgId",
  endpoint: "endpointId",
  type: "type",
  since: "since",
  until: "until",
};

function filterFrom(values: Values): Record<string, string> {
  const filter: Record<string, string> = {};
  for (const [option, field] of Object.entries(filterFields)) {
    const value = values[option];
    if (typeof value === "string")
      filter[field] = option === "since" || option === "until" ? parseTime(value) : value;
  }
  return filter;
}

// ---- Output ----------------------------------------------------------------

function table(headers: string[], rows: string[][]): string {
  const max = 48;
  const cut = (s: string) => (s.length > max ? `${s.slice(0, max - 1)}…` : s);
  const cells = [headers, ...rows].map((r) => r.map(cut));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const when = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-");

function failureRows(items: Failure[]): string {
  return table(
    ["ID", "REASON", "TYPE", "FOR", "FAILED AT", "ATTEMPTS"],
    items.map((f) => [
      f.id,
      f.reason,
      f.type,
      f.queue === "signals" ? `platform ${f.platformId ?? "-"}` : `${f.orgId ?? "-"}/${f.endpointId ?? "-"}`,
      when(f.failedAt),
      String(f.attempts),
    ]),
  );
}

function print(values: Values, json: unknown, human: () => string): void {
  console.log(values.json ? JSON.stringify(json, null, 2) : human());
}

/** A text progress bar: `[#####-----]  50%  5/10`. */
export function progressBar(processed: number, total: number, width = 30): string {
  const ratio = total > 0 ? Math.min(1, processed / total) : 1;
  const filled = Math.round(ratio * width);
  const percent = `${Math.floor(ratio * 100)}%`.padStart(4);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}  ${processed}/${total}`;
}

// ---- Commands --------------------------------------------------------------

async function failures(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...filterOptions,
    limit: { type: "string" },
    cursor: { type: "string" },
    all: { type: "boolean", default: false },
  });
  if (values.help) return help();
  const target = api(values);
  const query = new URLSearchParams(filterFrom(values));
  if (values.limit) query.set("limit", values.limit);
  const items: Failure[] = [];
  let cursor = values.cursor;
  let next: string | null = null;
  do {
    if (cursor) query.set("cursor", cursor);
    const page = await call<{ items: Failure[]; nextCursor: string | null }>(
      target,
      "GET",
      `/v1/ops/failures?${query}`,
    );
    items.push(...page.items);
    next = page.nextCursor;
    cursor = next ?? undefined;
  } while (values.all && next);
  print(values, { items, next }, () => {
    if (items.length === 0)
      return next ? `No failures on this page; more with --cursor ${next}` : "No failures.";
    const more = next ? `\nMore: --cursor ${next}` : "";
    return `${failureRows(items)}\n${items.length} shown.${more}`;
  });
  return EXIT.ok;
}

async function show(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help();
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new CliError("usage: gigbridge ops show <id>", EXIT.usage);
  const detail = await call<FailureDetail>(api(values), "GET", `/v1/ops/failures/${encodeURIComponent(id)}`);
  print(values, detail, () => {
    const lines = [
      `${detail.id}`,
      `  queue:      ${detail.queue}`,
      `  reason:     ${detail.reason}`,
      `  type:       ${detail.type}`,
      ...(detail.platformId ? [`  platform:   ${detail.platformId}`] : []),
      ...(detail.signalId ? [`  signal:     ${detail.signalId}`] : []),
      ...(detail.orgId ? [`  org:        ${detail.orgId}`] : []),
      ...(detail.endpointId ? [`  endpoint:   ${detail.endpointId}`] : []),
      ...(detail.messageId ? [`  message:    ${detail.messageId} (webhook-id)`] : []),
      ...(detail.receivedAt ? [`  received:   ${when(detail.receivedAt)}`] : []),
      `  failed:     ${when(detail.failedAt)} after ${detail.attempts} attempt(s)`,
      `  last error: ${detail.error}`,
    ];
    if (detail.attemptLog.length > 0) {
      lines.push(
        "",
        table(
          ["#", "AT", "OUTCOME", "STATUS", "ERROR"],
          detail.attemptLog.map((a, i) => [
            String(a.attempt ?? i + 1),
            when(a.attemptedAt),
            a.outcome ?? "-",
            a.status === undefined ? "-" : String(a.status),
            a.error ?? "",
          ]),
        ),
      );
    }
    return lines.join("\n");
  });
  return EXIT.ok;
}

function attemptRows(items: OpsAttempt[], withMessage: boolean): string {
  return table(
    [...(withMessage ? ["MESSAGE"] : []), "#", "AT", "OUTCOME", "STATUS", "LATENCY", "ERROR"],
    items.map((a) => [
      ...(withMessage ? [a.messageId] : []),
      String(a.attempt),
      when(a.attemptedAt),
      a.outcome,
      a.status === undefined ? "-" : String(a.status),
      `${a.latencyMs} ms`,
      a.error ?? "",
    ]),
  );
}

async function attempts(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    org: { type: "string" },
    endpoint: { type: "string" },
    limit: { type: "string" },
  });
  if (values.help) return help();
  const target = api(values);
  const [messageId] = positionals;
  if (messageId !== undefined && positionals.length === 1 && values.endpoint === undefined && !values.limit) {
    const query = values.org ? `?${new URLSearchParams({ orgId: values.org })}` : "";
    const read = await call<MessageAttempts>(
      target,
      "GET",
      `/v1/ops/messages/${encodeURIComponent(messageId)}/attempts${query}`,
    );
    print(values, read, () =>
      [
        `${read.messageId} (webhook-id)`,
        `  state:    ${read.state}`,
        `  org:      ${read.orgId}`,
        ...(read.endpointId ? [`  endpoint: ${read.endpointId}`] : []),
        ...(read.type ? [`  type:     ${read.type}`] : []),
        "",
        read.items.length > 0 ? attemptRows(read.items, false) : "No attempts yet.",
      ].join("\n"),
    );
    return EXIT.ok;
  }
  if (positionals.length === 0 && values.org && values.endpoint) {
    const query = values.limit ? `?${new URLSearchParams({ limit: values.limit })}` : "";
    const path = `/v1/ops/orgs/${encodeURIComponent(values.org)}/endpoints/${encodeURIComponent(values.endpoint)}/attempts${query}`;
    const read = await call<EndpointAttempts>(target, "GET", path);
    print(values, read, () =>
      read.items.length > 0
        ? `${attemptRows(read.items, true)}\n${read.items.length} shown, newest first.`
        : `No attempts logged for ${values.org}/${values.endpoint}.`,
    );
    return EXIT.ok;
  }
  throw new CliError(
    "usage: gigbridge ops attempts <message-id> [--org o]\n       gigbridge ops attempts --org o --endpoint e [--limit n]",
    EXIT.usage,
  );
}

async function readIds(spec: string): Promise<string[]> {
  const text = spec === "-" ? readFileSync(0, "utf8") : spec;
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

async function replay(args: string[]): Promise<number> {
  const { values } = parse(args, {
    ...filterOptions,
    ids: { type: "string" },
    all: { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
    "no-wait": { type: "boolean", default: false },
  });
  if (values.help) return help();
  const filter = filterFrom(values);
  const hasFilter = Object.keys(filter).length > 0;
  if (values.ids !== undefined && (hasFilter || values.all)) {
    throw new CliError("give either --ids or filters (or --all), not both", EXIT.usage);
  }
  if (values.ids === undefined && !hasFilter && !values.all) {
    throw new CliError(
      "say what to replay: --ids <id,...>, filters such as --reason no_route, or --all",
      EXIT.usage,
    );
  }
  const ids = values.ids === undefined ? undefined : await readIds(values.ids);
  if (ids?.length === 0) throw new CliError("--ids lists no ids", EXIT.usage);
  const selection = ids ? { ids } : { filter };
  const target = api(values);
  const dryRun = values["dry-run"] === true;

  if (dryRun) {
    const answer = await call<{ count: number }>(target, "POST", "/v1/ops/replays", {
      ...selection,
      dryRun: true,
    });
    print(
      values,
      answer,
      () => `Would replay ${answer.count} item(s). Run again without --dry-run to replay.`,
    );
    return EXIT.ok;
  }

  const started = await call<{ id: string; total: number }>(target, "POST", "/v1/ops/replays", selection);
  if (values["no-wait"]) {
    print(
      values,
      started,
      () => `Replay ${started.id} queued: ${started.total} item(s). Follow it with --json.`,
    );
    return EXIT.ok;
  }
  const finished = await follow(target, started.id);
  print(
    values,
    finished,
    () =>
      `Replay ${finished.id} ${finished.status}: ${finished.done} replayed, ${finished.skipped} no longer failed, ${finished.failed} could not be replayed (of ${finished.total}).`,
  );
  return finished.status === "completed" && finished.failed === 0 ? EXIT.ok : EXIT.replayIncomplete;
}

/** Polls a replay until it ends, drawing a progress bar on stderr when it is a terminal. */
async function follow(target: Api, id: string): Promise<Replay> {
  const tty = process.stderr.isTTY === true;
  for (;;) {
    const state = await call<Replay>(target, "GET", `/v1/ops/replays/${encodeURIComponent(id)}`);
    const processed = state.done + state.skipped + state.failed;
    if (tty) process.stderr.write(`\r${progressBar(processed, state.total)}  ${state.status}   `);
    if (state.status === "completed" || state.status === "failed") {
      if (tty) process.stderr.write("\n");
      return state;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function audit(args: string[]): Promise<number> {
  const { values } = parse(args, {
    operator: { type: "string" },
    action: { type: "string" },
    since: { type: "string" },
    limit: { type: "string" },
    cursor: { type: "string" },
  });
  if (values.help) return help();
  const query = new URLSearchParams();
  for (const key of ["operator", "action", "limit", "cursor"] as const) {
    const value = values[key];
    if (value) query.set(key, value);
  }
  if (values.since) query.set("since", parseTime(values.since));
  const page = await call<{ items: AuditEntry[]; nextCursor: string | null }>(
    api(values),
    "GET",
    `/v1/ops/audit?${query}`,
  );
  print(values, page, () => {
    if (page.items.length === 0) return "No audit entries.";
    const rows = page.items.map((e) => [
      when(e.recordedAt),
      `${e.operator} (${e.role})`,
      e.action,
      e.outcome,
      String(e.count),
      e.target ?? (e.filter ? JSON.stringify(e.filter) : e.ids ? `${e.ids.length} id(s)` : ""),
    ]);
    const more = page.nextCursor ? `\nMore: --cursor ${page.nextCursor}` : "";
    return `${table(["AT", "WHO", "ACTION", "OUTCOME", "COUNT", "WHAT"], rows)}${more}`;
  });
  return EXIT.ok;
}

async function orgs(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help();
  const target = api(values);
  if (positionals[0] === "add") {
    const file = positionals[1];
    if (!file || positionals.length > 2)
      throw new CliError("usage: gigbridge ops orgs add <file.json|->", EXIT.usage);
    let org: unknown;
    try {
      org = JSON.parse(readFileSync(file === "-" ? 0 : file, "utf8"));
    } catch (error) {
      throw new CliError(`cannot read the org from ${file}: ${(error as Error).message}`, EXIT.usage);
    }
    const added = await call<{ id: string }>(target, "POST", "/v1/ops/orgs", org);
    print(
      values,
      added,
      () => `Org ${added.id} saved. Replay its failures, e.g.: gigbridge ops replay --reason no_route`,
    );
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new CliError(`unknown orgs command "${positionals[0]}"`, EXIT.usage);
  type OrgRow = { id: string; kind: string; parent: string | null; regions: string[]; source: string };
  const list = { items: [] as OrgRow[] };
  for await (const org of eachItemOf<OrgRow>(target, "/v1/ops/orgs")) list.items.push(org);
  print(values, list, () =>
    table(
      ["ID", "KIND", "PARENT", "REGIONS", "SOURCE"],
      list.items.map((o) => [o.id, o.kind, o.parent ?? "-", o.regions.join(","), o.source]),
    ),
  );
  return EXIT.ok;
}

async function endpoints(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {});
  if (values.help) return help();
  const [action, org, endpoint] = positionals;
  if (action !== "enable" || !org || !endpoint || positionals.length > 3) {
    throw new CliError("usage: gigbridge ops endpoints enable <org> <endpoint>", EXIT.usage);
  }
  const path = `/v1/ops/orgs/${encodeURIComponent(org)}/endpoints/${encodeURIComponent(endpoint)}/enable`;
  const result = await call(api(values), "POST", path);
  print(
    values,
    result,
    () => `Endpoint ${org}/${endpoint} enabled. Replay its failures with --endpoint ${endpoint}.`,
  );
  return EXIT.ok;
}

async function token(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) return help();
  const { tokenCommand } = await import("./keys.js");
  return tokenCommand(args);
}

function help(): number {
  console.log(usage);
  return EXIT.ok;
}
