import { randomBytes } from "node:crypto";
import { access, chmod, mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type GatewayConfigInput, gatewayConfigSchema, validationErrors } from "@gigbridge/schemas";
import { hashKey, newKey } from "../core/credentials.js";

export const initUsage = `Usage: gigbridge init <dir> [options]

Writes a production configuration skeleton into <dir>:
  gigbridge.json     the configuration: only hashes of keys and tokens
  credentials.json   the keys and tokens in the clear (mode 0600): hand them out, then delete
  gigbridge.env      GIGBRIDGE_MASTER_KEY (random, 32 bytes) and GIGBRIDGE_CONFIG (mode 0600)

Options:
  --platform <id>                   a platform that sends signals (repeatable; default: platform-1)
  --org <id>:<region>[:<parent>]    an organization covering a GB/T 2260 region prefix
                                    (repeatable; default: org-1:11)
  --operator <name>:<role>          an operator, role viewer or operator
                                    (repeatable; default: admin:operator)
  --force                           overwrite files that exist`;

export interface InitOptions {
  platforms: string[];
  orgs: { id: string; region: string; parent: string | null }[];
  operators: { name: string; role: "viewer" | "operator" }[];
}

/** What `init` writes: the configuration, the credentials in the clear, and the env file. */
export interface InitOutput {
  config: GatewayConfigInput;
  credentials: {
    platforms: Record<string, string>;
    orgs: Record<string, string>;
    operators: Record<string, { token: string; role: "viewer" | "operator" }>;
  };
  masterKey: string;
}

/** Generates keys for every principal and a master key; the configuration holds only the hashes. */
export function generate(options: InitOptions): InitOutput {
  const credentials: InitOutput["credentials"] = { platforms: {}, orgs: {}, operators: {} };
  const config: GatewayConfigInput = {
    platforms: options.platforms.map((id) => {
      const key = newKey("platform");
      credentials.platforms[id] = key;
      return { id, name: id, keyHashes: [hashKey(key)] };
    }),
    orgs: options.orgs.map((org) => {
      const key = newKey("org");
      credentials.orgs[org.id] = key;
      return {
        id: org.id,
        code: org.id,
        name: org.id,
        kind: org.parent === null ? "district_committee" : "street_committee",
        parent: org.parent,
        regions: [org.region],
        keyHashes: [hashKey(key)],
      };
    }),
    endpoints: [],
    operators: options.operators.map((op) => {
      const token = newKey("operator");
      credentials.operators[op.name] = { token, role: op.role };
      return { name: op.name, role: op.role, tokenHash: hashKey(token) };
    }),
    // Endpoints are public HTTPS services in production: no private network is allowed by default.
    delivery: { allowNetworks: [] },
  };
  return { config, credentials, masterKey: `k1:${randomBytes(32).toString("base64")}` };
}

/** Parses `init`'s arguments; returns an error message for bad ones. */
export function parseInitArgs(
  args: string[],
): { dir: string; force: boolean; options: InitOptions } | string {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      platform: { type: "string", multiple: true },
      org: { type: "string", multiple: true },
      operator: { type: "string", multiple: true },
      force: { type: "boolean", default: false },
    },
  });
  const [dir, ...extra] = positionals;
  if (!dir || extra.length > 0) return "give one directory";
  const orgs: InitOptions["orgs"] = [];
  for (const text of values.org ?? ["org-1:11"]) {
    const [id, region, parent, ...more] = text.split(":");
    if (!id || !region || more.length > 0) return `--org ${text}: expected <id>:<region>[:<parent>]`;
    orgs.push({ id, region, parent: parent || null });
  }
  const operators: InitOptions["operators"] = [];
  for (const text of values.operator ?? ["admin:operator"]) {
    const [name, role, ...more] = text.split(":");
    if (!name || (role !== "viewer" && role !== "operator") || more.length > 0) {
      return `--operator ${text}: expected <name>:viewer or <name>:operator`;
    }
    operators.push({ name, role });
  }
  return {
    dir,
    force: values.force ?? false,
    options: { platforms: values.platform ?? ["platform-1"], orgs, operators },
  };
}

export async function initCommand(args: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseInitArgs>;
  try {
    parsed = parseInitArgs(args);
  } catch (error) {
    parsed = (error as Error).message;
  }
  if (typeof parsed === "string") {
    console.error(`gigbridge init: ${parsed}\n\n${initUsage}`);
    return 2;
  }
  const { dir, force, options } = parsed;
  const output = generate(options);
  // What init writes must load: check it with the same schema the gateway uses.
  const checked = gatewayConfigSchema.safeParse(output.config);
  if (!checked.success) {
    for (const e of validationErrors(checked.error)) console.error(`  ${e.pointer || "/"}: ${e.detail}`);
    console.error("gigbridge init: the options above make an invalid configuration; nothing written");
    return 2;
  }
  const paths = {
    config: join(dir, "gigbridge.json"),
    credentials: join(dir, "credentials.json"),
    env: join(dir, "gigbridge.env"),
  };
  if (!force) {
    for (const path of Object.values(paths)) {
      if (await exists(path)) {
        console.error(`gigbridge init: ${path} exists; give --force to overwrite it`);
        return 2;
      }
    }
  }
  await mkdir(dir, { recursive: true });
  await writeFile(paths.config, `${JSON.stringify(output.config, null, 2)}\n`);
  await writeSecret(paths.credentials, `${JSON.stringify(output.credentials, null, 2)}\n`);
  await writeSecret(
    paths.env,
    [
      "# Secrets of one GigBridge deployment: keep this file readable by the gateway's user only.",
      "# The master key derives every subject id and seals endpoint secrets: losing it loses them,",
      "# leaking it calls for `gigbridge rotate-master-key`.",
      `GIGBRIDGE_MASTER_KEY=${output.masterKey}`,
      `GIGBRIDGE_CONFIG=${resolve(paths.config)}`,
      "# REDIS_URL=redis://:password@redis.internal:6379",
      "",
    ].join("\n"),
  );
  console.log(
    [
      `Wrote ${paths.config}, ${paths.credentials} (0600) and ${paths.env} (0600).`,
      "Next:",
      `  1. Edit ${paths.config}: names, org codes and regions, endpoints (see the gateway README).`,
      `  2. Hand each key in ${paths.credentials} to its owner, then delete the file: only the hashes are kept.`,
      `  3. Set REDIS_URL in ${paths.env}, then: set -a; . ${paths.env}; set +a; gigbridge config check "$GIGBRIDGE_CONFIG"`,
      "  4. gigbridge serve --host 0.0.0.0  and  gigbridge work  (as many of each as you need)",
    ].join("\n"),
  );
  return 0;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Written with mode 0600 from the start, and chmod-ed in case the file was there with a wider mode. */
async function writeSecret(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}
