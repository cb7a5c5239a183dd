import type { Gateway } from "../core/context.js";
import { decodeCursor, encodeCursor, isString } from "../core/cursor.js";
import { UnavailableError } from "../core/errors.js";
import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import { opsKeys } from "./keys.js";
import { type AuditEntry, type FailureFilter, failureFilterSchema } from "./schemas.js";

/**
 * The operator audit log: a Redis Stream, append-only by construction (the
 * gateway never calls XDEL on it, and trims it only for retention). Each
 * append trims entries older than `audit.retention`, so the bound holds
 * without a sweeper; reads also hide entries past retention in case no one
 * has written for a while. An entry's time is its stream id's time.
 */
export const auditKey = opsKeys.audit;

export interface AuditRecord {
  /** The operator's name, or the platform's id for a platform's own audited action (an erasure). */
  operator: string;
  role: "viewer" | "operator" | "platform";
  action: string;
  outcome: string;
  count?: number;
  filter?: FailureFilter;
  ids?: readonly string[];
  target?: string;
  detail?: string;
}

/** Entries' `ids` are shortened to this many in the log; `count` keeps the true number. */
const IDS_KEPT = 1000;

/**
 * XADD with a server-made id, then trim by that id's time minus the retention,
 * in one script: Redis's clock orders and ages the log, so gateways with
 * skewed clocks neither reorder entries nor trim each other's fresh ones.
 * ARGV: retention ms, then field/value pairs. Returns the new id.
 */
const appendScript = new Script(`
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
local ms = tonumber(string.match(id, '^(%d+)'))
redis.call('XTRIM', KEYS[1], 'MINID', math.max(0, ms - tonumber(ARGV[1])))
return id
`);

/**
 * Appends an entry and returns it. Throws 503 if Redis does not take it:
 * callers record before they act, so an action that cannot be recorded does not happen.
 */
export function appendAudit(gw: Gateway, record: AuditRecord): Promise<AuditEntry> {
  return appendAuditTo(gw.redis, gw.config.audit.retention, record);
}

/** `appendAudit` for callers without a gateway, such as the `gigbridge keys` command. */
export async function appendAuditTo(
  redis: RedisClient,
  retention: number,
  record: AuditRecord,
): Promise<AuditEntry> {
  const fields: string[] = [
    "operator",
    record.operator,
    "role",
    record.role,
    "action",
    record.action,
    "outcome",
    record.outcome,
    "count",
    String(record.count ?? 0),
  ];
  if (record.filter) fields.push("filter", JSON.stringify(record.filter));
  if (record.ids) fields.push("ids", JSON.stringify(record.ids.slice(0, IDS_KEPT)));
  if (record.target) fields.push("target", record.target);
  if (record.detail) fields.push("detail", record.detail.slice(0, 1000));
  let id: string;
  try {
    id = (await appendScript.run(redis, [auditKey], [retention, ...fields])) as string;
  } catch (error) {
    throw new UnavailableError("The audit log could not be written, so the action was not taken.", error);
  }
  return toEntry(id, fields);
}

function toEntry(id: string, flat: string[]): AuditEntry {
  const at = new Date(Number(id.slice(0, id.indexOf("-")))).toISOString();
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) f[flat[i] as string] = flat[i + 1] as string;
  return {
    id,
    recordedAt: at,
    at,
    operator: f.operator ?? "",
    role: f.role === "operator" || f.role === "platform" ? f.role : "viewer",
    action: f.action ?? "",
    outcome: f.outcome ?? "",
    count: Number(f.count ?? 0),
    ...(f.filter ? { filter: storedFilter(f.filter) } : {}),
    ...(f.ids ? { ids: JSON.parse(f.ids) as string[] } : {}),
    ...(f.target ? { target: f.target } : {}),
    ...(f.detail ? { detail: f.detail } : {}),
  };
}

/** A filter as stored, read with today's names (entries written before `...Id` used the old ones). */
function storedFilter(json: string): FailureFilter {
  const parsed = failureFilterSchema.safeParse(JSON.parse(json));
  return parsed.success ? parsed.data : (JSON.parse(json) as FailureFilter);
}

export interface AuditQuery {
  cursor?: string | undefined;
  limit: number;
  operator?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
}

const STREAM_ID = /^\d{1,16}-\d{1,16}$/;

const readAuditCursor = ([id]: unknown[]) => (isString(id) && STREAM_ID.test(id) ? id : undefined);

/** Newest first. The cursor holds the stream id of the last entry returned; the next page starts after it. */
export async function listAudit(
  gw: Gateway,
  query: AuditQuery,
): Promise<{ items: AuditEntry[]; nextCursor: string | null; next: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor, readAuditCursor) : undefined;
  const page = (items: AuditEntry[], last: string | null) => {
    const nextCursor = last === null ? null : encodeCursor([last]);
    return { items, nextCursor, next: nextCursor };
  };
  const retained = gw.now() - gw.config.audit.retention;
  const since = Math.max(retained, query.since ? Date.parse(query.since) : 0, 0);
  const items: AuditEntry[] = [];
  let end = after ? `(${after}` : "+";
  const batch = Math.min(1000, Math.max(query.limit * 2, 100));
  for (;;) {
    const rows = await gw.redis.xrevrange(auditKey, end, String(since), "COUNT", batch);
    for (const [id, flat] of rows) {
      const entry = toEntry(id, flat);
      if (query.operator && entry.operator !== query.operator) continue;
      if (query.action && entry.action !== query.action) continue;
      items.push(entry);
      if (items.length === query.limit) return page(items, id);
    }
    if (rows.length < batch) return page(items, null);
    end = `(${(rows.at(-1) as [string, string[]])[0]}`;
  }
}
