import { userInfo } from "node:os";
import { parseArgs } from "node:util";
import { type GatewayConfig, gatewayConfigSchema, parseDuration } from "@gigbridge/schemas";
import { readRunningDirectory } from "../config/check.js";
import { loadConfig } from "../config/load.js";
import {
  type CredentialInfo,
  Credentials,
  configuredPrincipals,
  type Principal,
} from "../core/credentials.js";
import { commandConnection, connect, type RedisClient } from "../core/redis.js";
import { appendAuditTo } from "../ops/audit.js";

/**
 * `gigbridge keys create|list|revoke` and `gigbridge ops token create|list|revoke`:
 * the lifecycle of API keys and operator tokens, written to Redis directly
 * (REDIS_URL), each change recorded in the audit log. With `--config` (or
 * GIGBRIDGE_CONFIG) the configured keys are listed and can be revoked too.
 */

export const keysUsage = `Usage: gigbridge keys <command> (needs REDIS_URL)
  create --platform <id> | --org <id> [--expires-in <duration>] [--config <file>]
                     refused for a platform or org that is in no configuration
                     print a new API key once (stored hashed in Redis)
  list [--platform <id>] [--org <id>] [--config <file>] [--json]
                     id, principal, created, expires, last used, revoked; never the key
  revoke <id> [--config <file>]
                     refuse the key from now on, in every gateway process (within ~1 s)
Durations: 30m, 12h, 90d. --config (default $GIGBRIDGE_CONFIG) adds the configured keys.`;

export const tokenUsage = `Usage: gigbridge ops token <command> (needs REDIS_URL)
  create --role viewer|operator [--name <name>] [--expires-in <duration>]
  list [--config <file>] [--json]
  revoke <id> [--config <file>]`;

/** A usage or run-time error of these commands, with the exit code to use. */
export class KeysCliError extends Error {
  constructor(
    message: string,
    readonly code: 1 | 2 | 4 | 6,
  ) {
    super(message);
  }
}

type Kinds = readonly Principal["kind"][];

/** `gigbridge keys ...` (platform and org keys). */
export async function keysCommand(args: string[]): Promise<number> {
  try {
    const [action, ...rest] = args;
    if (action === "create") {
      const { values } = parseArgs({
        args: rest,
        options: {
          platform: { type: "string" },
          org: { type: "string" },
          "expires-in": { type: "string" },
          config: { type: "string" },
        },
      });
      if ((!values.platform && !values.org) || (values.platform && values.org)) throw usage(keysUsage);
      const principal: Principal = values.platform
        ? { kind: "platform", id: values.platform }
        : { kind: "org", id: values.org as string };
      return await createCredential(principal, values["expires-in"], false, values.config);
    }
    if (action === "list") return await listCredentials(rest, ["platform", "org"]);
    if (action === "revoke") return await revokeCredential(rest, ["platform", "org"]);
    throw usage(keysUsage);
  } catch (error) {
    return report(error);
  }
}

/** `gigbridge ops token create|list|revoke` (operator tokens). */
export async function tokenCommand(args: string[]): Promise<number> {
  try {
    const [action, ...rest] = args;
    if (action === "create") {
      const { values } = parseArgs({
        args: rest,
        options: {
          role: { type: "string" },
          name: { type: "string" },
          "expires-in": { type: "string" },
          json: { type: "boolean", default: false },
        },
      });
      const role = values.role;
      if (role !== "viewer" && role !== "operator") throw usage(tokenUsage);
      const name = values.name ?? `${role}-${Math.random().toString(36).slice(2, 8)}`;
      if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(name)) {
        throw new KeysCliError("--name: 1 to 64 letters, digits and _.@-", 2);
      }
      return await createCredential({ kind: "operator", name, role }, values["expires-in"], values.json);
    }
    if (action === "list") return await listCredentials(rest, ["operator"]);
    if (action === "revoke") return await revokeCredential(rest, ["operator"]);
    throw usage(tokenUsage);
  } catch (error) {
    return report(error);
  }
}

function usage(text: string): KeysCliError {
  return new KeysCliError(text, 2);
}

function report(error: unknown): number {
  if (error instanceof KeysCliError) {
    console.error(error.code === 2 ? error.message : `gigbridge: ${error.message}`);
    return error.code;
  }
  // parseArgs: unknown option or a missing value.
  if (error instanceof TypeError && "code" in error) {
    console.error(`gigbridge: ${error.message}`);
    return 2;
  }
  console.error(`gigbridge: ${(error as Error).message}`);
  return 1;
}

/** Who the audit log names for a change made on the command line. */
function cliOperator(): string {
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {}
  return `cli:${user}`.slice(0, 64);
}

async function withRedis<T>(fn: (redis: RedisClient) => Promise<T>): Promise<T> {
  const url = process.env.REDIS_URL;
  if (!url) throw new KeysCliError("set REDIS_URL to the Redis the gateway uses", 2);
  const redis = commandConnection(url, "gigbridge:cli");
  redis.on("error", () => {});
  try {
    try {
      await connect(redis);
    } catch (error) {
      throw new KeysCliError(`cannot reach Redis: ${(error as Error).message}`, 6);
    }
    return await fn(redis);
  } finally {
    redis.disconnect();
  }
}

async function configFrom(path: string | undefined): Promise<GatewayConfig | undefined> {
  const file = path ?? process.env.GIGBRIDGE_CONFIG;
  return file ? loadConfig(file) : undefined;
}

/** The audit retention of the configuration, or its default. */
function retentionOf(config: GatewayConfig | undefined): number {
  return (config ?? gatewayConfigSchema.parse({ platforms: [], orgs: [] })).audit.retention;
}

function subject(principal: Principal): string {
  return principal.kind === "operator"
    ? `operator ${principal.name} (${principal.role})`
    : `${principal.kind} ${principal.id}`;
}

/**
 * Refuses a key for a platform or org that exists nowhere: not in the configuration file given,
 * nor in the configuration the running gateways recorded, nor among the orgs added at run time.
 * Such a key would authenticate a principal no route knows.
 */
async function checkKnown(redis: RedisClient, principal: Principal, config: GatewayConfig | undefined) {
  if (principal.kind === "operator") return;
  const directory = await readRunningDirectory(redis);
  const known =
    principal.kind === "platform"
      ? new Set([...(config?.platforms ?? []).map((p) => p.id), ...(directory.running?.platforms ?? [])])
      : new Set([
          ...(config?.orgs ?? []).map((o) => o.id),
          ...Object.keys(directory.running?.orgs ?? {}),
          ...directory.addedOrgs.keys(),
        ]);
  if (known.has(principal.id)) return;
  const where = config
    ? "the configuration file or the running gateways"
    : directory.running
      ? "the running gateways' configuration (pass --config <file> to use another)"
      : "any configuration: no gateway has started on this Redis yet (pass --config <file>)";
  throw new KeysCliError(`no ${principal.kind} ${principal.id} in ${where}; no key was made`, 2);
}

async function createCredential(
  principal: Principal,
  expiresIn: string | undefined,
  json: boolean,
  configPath?: string | undefined,
): Promise<number> {
  let expiresAt: Date | undefined;
  if (expiresIn !== undefined) {
    const ms = parseDuration(expiresIn);
    if (!ms) throw new KeysCliError("--expires-in: a duration such as 30m, 12h or 90d", 2);
    expiresAt = new Date(Date.now() + ms);
  }
  const config = configPath
    ? await configFrom(configPath)
    : await configFrom(undefined).catch(() => undefined);
  return withRedis(async (redis) => {
    await checkKnown(redis, principal, config);
    const created = await Credentials.issue(redis, principal, expiresAt ? { expiresAt } : {});
    await appendAuditTo(redis, retentionOf(config), {
      operator: cliOperator(),
      role: "operator",
      action: "credential.create",
      outcome: "accepted",
      target: created.id,
      count: 1,
      detail: `${subject(principal)}${created.expiresAt ? `, expires ${created.expiresAt}` : ""}`,
    });
    const what = principal.kind === "operator" ? "token" : "key";
    if (json) {
      const name = principal.kind === "operator" ? { name: principal.name, role: principal.role } : {};
      console.log(
        JSON.stringify({ token: created.key, id: created.id, ...name, expiresAt: created.expiresAt }),
      );
    } else {
      console.log(created.key);
    }
    console.error(
      `A new ${what} for ${subject(principal)}, id ${created.id}${created.expiresAt ? `, expires ${created.expiresAt}` : ""}. ` +
        "It is shown only now; GigBridge stores its hash.",
    );
    return 0;
  });
}

async function listCredentials(args: string[], kinds: Kinds): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: "string" },
      json: { type: "boolean", default: false },
      platform: { type: "string" },
      org: { type: "string" },
    },
  });
  const config = await configFrom(values.config);
  const items = await withRedis((redis) =>
    Credentials.list(
      redis,
      config ? configuredPrincipals(config) : new Map(),
      new Set(config?.revokedKeyHashes ?? []),
    ),
  );
  const shown = items.filter(
    (item) =>
      kinds.includes(item.principal.kind) &&
      (!values.platform || (item.principal.kind === "platform" && item.principal.id === values.platform)) &&
      (!values.org || (item.principal.kind === "org" && item.principal.id === values.org)),
  );
  if (values.json) {
    console.log(JSON.stringify({ items: shown }));
    return 0;
  }
  console.log(credentialTable(shown, new Date()));
  return 0;
}

/** One line per key: id, principal, source, created, expires, last used, state. */
export function credentialTable(items: CredentialInfo[], now: Date): string {
  const rows = items.map((item) => [
    item.id,
    item.principal.kind === "operator"
      ? `operator:${item.principal.name} (${item.principal.role})`
      : `${item.principal.kind}:${item.principal.id}`,
    item.source,
    item.createdAt ?? "-",
    item.expiresAt ?? "-",
    item.lastUsedAt ?? "-",
    item.revoked
      ? `revoked${item.revokedAt ? ` ${item.revokedAt}` : " (config)"}`
      : item.expiresAt && Date.parse(item.expiresAt) <= now.getTime()
        ? "expired"
        : "active",
  ]);
  const headers = ["ID", "PRINCIPAL", "SOURCE", "CREATED", "EXPIRES", "LAST USED", "STATE"];
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  return [headers, ...rows]
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

async function revokeCredential(args: string[], kinds: Kinds): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { config: { type: "string" } },
  });
  const id = positionals[0];
  if (!id || positionals.length > 1) throw usage(kinds.includes("operator") ? tokenUsage : keysUsage);
  const config = await configFrom(values.config);
  const configured = config ? configuredPrincipals(config) : new Map<string, Principal>();
  return withRedis(async (redis) => {
    const known = (await Credentials.list(redis, configured)).find((item) => item.id === id);
    if (!known || !kinds.includes(known.principal.kind)) {
      throw new KeysCliError(
        `no ${kinds.includes("operator") ? "operator token" : "key"} with id ${id}${config ? "" : " in Redis (give --config to revoke a configured one)"}`,
        4,
      );
    }
    const record = {
      operator: cliOperator(),
      role: "operator" as const,
      action: "credential.revoke",
      target: id,
      count: 1,
      detail: subject(known.principal),
    };
    // Recorded before it takes effect, as every operator action.
    await appendAuditTo(redis, retentionOf(config), { ...record, outcome: "accepted" });
    const outcome = await Credentials.revoke(redis, id, configured);
    console.error(
      outcome === "already_revoked"
        ? `${id} (${subject(known.principal)}) was already revoked.`
        : `Revoked ${id} (${subject(known.principal)}); every gateway refuses it within about a second.`,
    );
    return 0;
  });
}
