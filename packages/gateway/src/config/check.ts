import { readFile } from "node:fs/promises";
import { type GatewayConfig, gatewayConfigSchema, validationErrors } from "@gigbridge/schemas";
import type { Principal } from "../core/credentials.js";
import { keys } from "../core/keys.js";
import type { RedisClient } from "../core/redis.js";
import { commandConnection, connect } from "../core/redis.js";

export const configCheckUsage = `Usage: gigbridge config check <file>

Validates a configuration file and prints every problem with its JSON Pointer.
With REDIS_URL set, also prints how the file differs from the directory the
running gateways use: the configuration they were started with, organizations
operators added at run time, and keys made with \`gigbridge keys create\`.
Exit status: 0 valid, 1 invalid, 2 usage or unreadable file.`;

export interface Problem {
  pointer: string;
  detail: string;
}

/** Every problem of a configuration document, each with its JSON Pointer; empty when it is valid. */
export function configProblems(json: unknown): Problem[] {
  const result = gatewayConfigSchema.safeParse(json);
  return result.success ? [] : validationErrors(result.error);
}

/** What `serve`/`work` record on start, so a changed file can be compared with what runs. */
export interface RunningConfigSummary {
  startedAt: string;
  platforms: string[];
  orgs: Record<string, string>;
  endpoints: string[];
  operators: string[];
}

export function summarize(config: GatewayConfig, startedAt: Date): RunningConfigSummary {
  return {
    startedAt: startedAt.toISOString(),
    platforms: config.platforms.map((p) => p.id).sort(),
    // An org's JSON tells a changed org from an unchanged one.
    orgs: Object.fromEntries(config.orgs.map((o) => [o.id, JSON.stringify(o)])),
    endpoints: config.endpoints.map((e) => e.id).sort(),
    operators: config.operators.map((o) => o.name).sort(),
  };
}

/** Records the configuration a gateway process started with (the last process to start wins). */
export async function recordRunningConfig(redis: RedisClient, config: GatewayConfig, now: Date) {
  await redis.set(keys.runningConfig, JSON.stringify(summarize(config, now)));
}

/** The running state a configuration file is compared with. */
export interface RunningDirectory {
  running: RunningConfigSummary | null;
  /** Organizations added at run time (`POST /v1/ops/orgs`), by id. */
  addedOrgs: Map<string, { parent: string | null }>;
  /** Principals of keys made with `gigbridge keys create`. */
  storedKeys: Principal[];
}

export async function readRunningDirectory(redis: RedisClient): Promise<RunningDirectory> {
  const [running, orgs, credentials] = await Promise.all([
    redis.get(keys.runningConfig),
    redis.hgetall(keys.orgs),
    redis.hgetall(keys.credentials),
  ]);
  return {
    running: running ? (JSON.parse(running) as RunningConfigSummary) : null,
    addedOrgs: new Map(
      Object.entries(orgs).map(([id, json]) => [
        id,
        { parent: (JSON.parse(json) as { parent: string | null }).parent },
      ]),
    ),
    storedKeys: Object.values(credentials).map((json) => JSON.parse(json) as Principal),
  };
}

/** One line per difference between a (valid) configuration and the running directory. */
export function differences(config: GatewayConfig, directory: RunningDirectory): string[] {
  const out: string[] = [];
  const file = summarize(config, new Date(0));
  const running = directory.running;
  if (running) {
    const diff = (what: string, before: string[], after: string[]) => {
      for (const id of after) if (!before.includes(id)) out.push(`${what} ${id}: added by this file`);
      for (const id of before) if (!after.includes(id)) out.push(`${what} ${id}: removed by this file`);
    };
    diff("platform", running.platforms, file.platforms);
    diff("org", Object.keys(running.orgs), Object.keys(file.orgs));
    for (const [id, json] of Object.entries(file.orgs)) {
      const before = running.orgs[id];
      if (before !== undefined && before !== json) out.push(`org ${id}: changed by this file`);
    }
    diff("endpoint", running.endpoints, file.endpoints);
    diff("operator", running.operators, file.operators);
  } else {
    out.push("no gateway has recorded its configuration in this Redis yet");
  }
  const configured = new Set(config.orgs.map((o) => o.id));
  for (const [id, org] of directory.addedOrgs) {
    if (configured.has(id)) {
      out.push(`org ${id}: added at run time and configured by this file; the file's version is used`);
    } else {
      out.push(
        `org ${id}: added at run time, not in this file (it stays in effect; add it to the file to keep it there)`,
      );
      if (org.parent !== null && !configured.has(org.parent) && !directory.addedOrgs.has(org.parent)) {
        out.push(`org ${id}: its parent ${org.parent} is neither in this file nor added at run time`);
      }
    }
  }
  const platforms = new Set(config.platforms.map((p) => p.id));
  const counted = new Map<string, number>();
  for (const p of directory.storedKeys) {
    if (p.kind === "operator") continue;
    const known =
      p.kind === "platform" ? platforms.has(p.id) : configured.has(p.id) || directory.addedOrgs.has(p.id);
    if (known) continue;
    const name = `${p.kind} ${p.id}`;
    counted.set(name, (counted.get(name) ?? 0) + 1);
  }
  for (const [name, n] of counted)
    out.push(`${name}: ${n} key(s) made with \`keys create\` name it, but this file does not`);
  return out;
}

export async function configCommand(args: string[]): Promise<number> {
  const [action, path, ...extra] = args;
  if (action !== "check" || !path || extra.length > 0) {
    console.error(configCheckUsage);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    console.error(`gigbridge config check: cannot read ${path}: ${(error as Error).message}`);
    return 2;
  }
  const problems = configProblems(json);
  if (problems.length > 0) {
    console.log(`${path}: ${problems.length} problem(s)`);
    for (const p of problems) console.log(`  ${p.pointer || "/"}: ${p.detail}`);
    return 1;
  }
  console.log(`${path}: valid`);
  const url = process.env.REDIS_URL;
  if (!url) return 0;
  const redis = commandConnection(url, "gigbridge:config-check");
  redis.on("error", () => {});
  try {
    await connect(redis);
    const lines = differences(gatewayConfigSchema.parse(json), await readRunningDirectory(redis));
    console.log(
      lines.length === 0 ? "Same as the running directory." : "Differences from the running directory:",
    );
    for (const line of lines) console.log(`  ${line}`);
    return 0;
  } finally {
    redis.disconnect();
  }
}
