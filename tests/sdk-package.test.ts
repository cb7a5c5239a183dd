import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The SDK as a platform or integrator installs it: both packages packed with npm, installed
 * from the tarballs into a fresh project, then loaded and type-checked there the ways users do.
 */

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const entryPoints = ["", "/webhooks", "/node", "/hono", "/express", "/node-http"].map(
  (p) => `@gigbridge/sdk${p}`,
);

describe("the packed SDK installed into a fresh project", () => {
  const dir = mkdtempSync(join(tmpdir(), "gigbridge-sdk-package-"));
  const project = join(dir, "project");
  const tarballs: Record<"schemas" | "sdk", string> = { schemas: "", sdk: "" };

  beforeAll(async () => {
    await run(
      "npm",
      ["pack", "--silent", "--pack-destination", dir, "-w", "@gigbridge/schemas", "-w", "@gigbridge/sdk"],
      {
        cwd: root,
      },
    );
    for (const name of readdirSync(dir)) {
      if (name.startsWith("gigbridge-schemas-")) tarballs.schemas = join(dir, name);
      if (name.startsWith("gigbridge-sdk-")) tarballs.sdk = join(dir, name);
    }
    // A CommonJS project, like a NestJS service; `.mjs` files in it are ESM.
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, type: "commonjs" }),
    );
    const versions = (pkg: string) =>
      (
        JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"), "utf8")) as {
          version: string;
        }
      ).version;
    // The frameworks are optional peers: installed here because this project uses all three.
    await run(
      "npm",
      [
        "install",
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        tarballs.schemas,
        tarballs.sdk,
        `hono@${versions("hono")}`,
        `express@${versions("express")}`,
        `@types/express@${versions("@types/express")}`,
        `@types/node@${versions("@types/node")}`,
      ],
      { cwd: project, timeout: 230_000 },
    );
  }, 240_000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("require() and import() load every entry point", async () => {
    const names = JSON.stringify(entryPoints);
    writeFileSync(
      join(project, "load.cjs"),
      `const out = {};
for (const name of ${names}) out[name] = Object.keys(require(name)).sort();
out.schema = require("@gigbridge/schemas/json-schema/signal.json").title;
console.log(JSON.stringify(out));`,
    );
    writeFileSync(
      join(project, "load.mjs"),
      `const out = {};
for (const name of ${names}) out[name] = Object.keys(await import(name)).filter((k) => k !== "default" && k !== "module.exports").sort();
console.log(JSON.stringify(out));`,
    );
    const cjs = JSON.parse((await run(process.execPath, ["load.cjs"], { cwd: project })).stdout) as Record<
      string,
      string[]
    >;
    const esm = JSON.parse((await run(process.execPath, ["load.mjs"], { cwd: project })).stdout) as Record<
      string,
      string[]
    >;
    expect(cjs["@gigbridge/sdk"]).toEqual(
      expect.arrayContaining(["GigBridge", "verifyWebhook", "WebhookVerificationError"]),
    );
    expect(cjs["@gigbridge/sdk/webhooks"]).toEqual(
      expect.arrayContaining(["verifyWebhook", "signWebhook", "Webhook"]),
    );
    expect(cjs["@gigbridge/sdk/webhooks"]).not.toContain("GigBridge");
    expect(cjs["@gigbridge/sdk/node"]).toContain("Spool");
    expect(cjs["@gigbridge/sdk/hono"]).toContain("webhookHandler");
    expect(cjs["@gigbridge/sdk/express"]).toEqual(
      expect.arrayContaining(["webhookMiddleware", "captureRawBody"]),
    );
    expect(cjs["@gigbridge/sdk/node-http"]).toContain("webhookListener");
    expect(cjs.schema).toBe("GigBridge signal");
    for (const name of entryPoints) expect(esm[name], name).toEqual(cjs[name]);
  }, 240_000);

  it("CommonJS and ESM both verify a webhook and run the client with a spool", async () => {
    const script = (load: string) => `${load}
const spoolDir = require("node:fs").mkdtempSync(require("node:path").join(require("node:os").tmpdir(), "consumer-spool-"));
(async () => {
  const secret = sdk.generateWebhookSecret();
  const body = JSON.stringify({ type: "task.reassigned", timestamp: "2026-01-01T00:00:00Z", data: {} });
  const event = await webhooks.verifyWebhook(body, await webhooks.signWebhook(body, secret), secret, { toleranceSec: 60 });
  const client = new sdk.GigBridge({ apiKey: "k", baseUrl: "http://127.0.0.1:9", spool: { dir: spoolDir } });
  await client.ready();
  void client.enqueue({ type: "worker.offboarded", data: { workerId: "w1", reason: "resigned" } });
  const files = require("node:fs").readdirSync(spoolDir).length;
  await client.close({ timeoutMs: 1 });
  console.log(JSON.stringify({ type: event.type, files }));
})();`;
    writeFileSync(
      join(project, "use.cjs"),
      script('const sdk = require("@gigbridge/sdk"); const webhooks = require("@gigbridge/sdk/webhooks");'),
    );
    writeFileSync(
      join(project, "use.mjs"),
      script(
        'import * as sdk from "@gigbridge/sdk"; import * as webhooks from "@gigbridge/sdk/webhooks"; import { createRequire } from "node:module"; const require = createRequire(import.meta.url);',
      ),
    );
    for (const file of ["use.cjs", "use.mjs"]) {
      const { stdout } = await run(process.execPath, [file], { cwd: project });
      expect(JSON.parse(stdout), file).toEqual({ type: "unknown", files: 1 });
    }
  }, 240_000);

  it("type-checks under --module nodenext and under --module preserve --moduleResolution bundler", async () => {
    const source = `import { GigBridge, ValidationError, type SendResult } from "@gigbridge/sdk";
import { verifyWebhook, type VerifiedWebhookEvent } from "@gigbridge/sdk/webhooks";
import { Spool } from "@gigbridge/sdk/node";
import { webhookHandler } from "@gigbridge/sdk/hono";
import { webhookMiddleware, captureRawBody } from "@gigbridge/sdk/express";
import { webhookListener } from "@gigbridge/sdk/node-http";
import { Hono } from "hono";

export async function main(raw: string, headers: Record<string, string>): Promise<string> {
  const client = new GigBridge({ apiKey: "k", baseUrl: "https://gigbridge.example.org" });
  const sent: Promise<SendResult> = client.workers.offboarded({ workerId: "w1", reason: "resigned" });
  void sent;
  const event: VerifiedWebhookEvent = await verifyWebhook(raw, headers, "whsec_x", { toleranceSec: 60 });
  const deadline: string = event.type === "task.created" ? event.data.task.deadline : "";
  new Hono().post("/webhooks", webhookHandler({ secret: "whsec_x", onEvent: ({ event }) => void event.type }));
  void webhookMiddleware({ secret: "whsec_x" });
  void captureRawBody;
  void webhookListener({ secret: "whsec_x", onEvent: () => {} });
  void new Spool({ dir: "/tmp/x" });
  void ValidationError;
  // @ts-expect-error: the typed methods check the data against the schemas
  void client.workers.offboarded({ workerId: "w1", reason: "promoted" });
  return deadline;
}
`;
    writeFileSync(join(project, "consumer.ts"), source); // CommonJS in this project
    writeFileSync(join(project, "consumer.mts"), source); // ESM
    const common = [
      "--noEmit",
      "--strict",
      "--types",
      "node",
      "--target",
      "es2022",
      "--skipLibCheck",
      "false",
    ];
    for (const flags of [
      ["--module", "nodenext", "--moduleResolution", "nodenext"],
      ["--module", "preserve", "--moduleResolution", "bundler"],
    ]) {
      // Under nodenext the .ts file is CommonJS (the project's type) and the .mts file ESM.
      const files = flags.includes("nodenext") ? ["consumer.ts", "consumer.mts"] : ["consumer.ts"];
      const result = await run(bin("tsc"), [...common, ...flags, ...files], {
        cwd: project,
      }).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }));
      expect(result.stdout, flags.join(" ")).toBe("");
    }
  }, 240_000);

  it("passes attw --pack and publint with no problems", async () => {
    for (const tarball of [tarballs.schemas, tarballs.sdk]) {
      const attw = await run(bin("attw"), [tarball, "--format", "json"], { cwd: dir }).catch(
        (error: { stdout: string }) => error,
      );
      const report = JSON.parse(attw.stdout) as { analysis: { problems: unknown[] } };
      expect(report.analysis.problems, tarball).toEqual([]);
      const publint = await run(bin("publint"), ["run", "--strict", tarball], { cwd: dir });
      expect(publint.stdout, tarball).toContain("All good!");
    }
  }, 240_000);
});

/**
 * Follows the static imports of the built `.` and `./webhooks` entry points, through
 * @gigbridge/schemas and zod, and fails on any Node built-in or Node-only global: those
 * entry points must load on Cloudflare Workers, Vercel Edge and Deno.
 */
describe("the portable entry points reach no Node built-in", () => {
  const dist = join(root, "packages/sdk/dist");
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const importPattern =
    /(?:^|[\s;})])(?:import|export)\s*(?:[\w*${}\s,]+from\s*)?["']([^"']+)["']|\brequire\(\s*["']([^"']+)["']\s*\)/g;

  function reachable(entry: string): { files: Set<string>; nodeOnly: string[] } {
    const files = new Set<string>();
    const nodeOnly: string[] = [];
    const queue = [entry];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (files.has(file)) continue;
      files.add(file);
      const code = readFileSync(file, "utf8");
      if (/\bBuffer\.|\bsetImmediate\(|\bprocess\.(?!env\b)/.test(code))
        nodeOnly.push(`a Node global in ${file}`);
      for (const match of code.matchAll(importPattern)) {
        const specifier = (match[1] ?? match[2])!;
        if (builtins.has(specifier)) {
          nodeOnly.push(`${specifier} from ${file}`);
          continue;
        }
        queue.push(
          createRequire(file).resolve(specifier.startsWith(".") ? join(dirname(file), specifier) : specifier),
        );
      }
    }
    return { files, nodeOnly };
  }

  it.each(["index.js", "index.cjs", "webhooks.js", "webhooks.cjs"])("%s", (entry) => {
    const { files, nodeOnly } = reachable(join(dist, entry));
    expect(nodeOnly).toEqual([]);
    // The walk did reach the schemas and zod, so it would have seen a built-in there.
    expect([...files].some((f) => f.includes("zod"))).toBe(true);
  });

  it("the check finds the built-ins of the Node-only entry point", () => {
    expect(reachable(join(dist, "node.js")).nodeOnly).toEqual(
      expect.arrayContaining([expect.stringMatching(/^node:fs from /)]),
    );
  });
});
