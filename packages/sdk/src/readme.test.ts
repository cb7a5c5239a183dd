import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import * as express from "./handlers/express.js";
import * as hono from "./handlers/hono.js";
import * as nodeHttp from "./handlers/node-http.js";
import * as client from "./index.js";
import * as node from "./node.js";
import * as webhooks from "./webhooks.js";

// The README is the SDK's manual: these checks keep its shape and keep it naming every export.
const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]!);

function sectionAfter(anchor: string): string {
  const start = readme.indexOf(`<a id="${anchor}"></a>`);
  expect(start, `anchor #${anchor}`).toBeGreaterThan(-1);
  const next = readme.indexOf("\n## ", readme.indexOf("\n## ", start) + 1);
  return readme.slice(start, next < 0 ? undefined : next);
}

describe("the SDK README", () => {
  it("opens with a five-minute quick start that sends a signal and receives a webhook", () => {
    expect(headings[0]).toBe("Quick start");
    const quick = readme.slice(readme.indexOf("## Quick start"), readme.indexOf(`<a id="install">`));
    expect(quick).toMatch(/Five minutes/);
    expect(quick).toContain("npm install @gigbridge/sdk");
    expect(quick).toContain("client.workers.onboarded(");
    expect(quick).toContain("webhookHandler(");
  });

  it("has one section with its own anchor per mode: send, batch, spool, webhooks", () => {
    const modes = ["send", "batch", "spool", "webhooks"];
    const positions = modes.map((mode) => readme.indexOf(`<a id="${mode}"></a>`));
    expect(positions.every((p) => p > readme.indexOf("## Quick start"))).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    for (const mode of modes) {
      const heading = sectionAfter(mode).match(/^## (\w+)/m)?.[1];
      expect(heading?.toLowerCase(), mode).toBe(mode);
      expect(readme, `a link to #${mode}`).toContain(`](#${mode})`);
    }
    expect(sectionAfter("send")).toContain("client.send(");
    expect(sectionAfter("batch")).toContain("client.enqueue(");
    expect(sectionAfter("spool")).toContain("client.ready()");
    expect(sectionAfter("webhooks")).toContain("verifyWebhook(rawBody, headers, secret, { toleranceSec");
  });

  it("shows installing for ESM, CommonJS and edge runtimes", () => {
    const install = sectionAfter("install");
    expect(install).toMatch(/import \{ GigBridge \} from "@gigbridge\/sdk"/);
    expect(install).toMatch(/require\("@gigbridge\/sdk"\)/);
    expect(install).toMatch(/Cloudflare Workers/);
    expect(install).toMatch(/export default \{\s+async fetch\(request: Request/);
  });

  it("names every export of every entry point", () => {
    const entries = { client, webhooks, node, hono, express, nodeHttp };
    for (const [entry, exports] of Object.entries(entries)) {
      for (const name of Object.keys(exports)) {
        expect(readme, `${entry}: ${name}`).toMatch(new RegExp(`\\b${name}\\b`));
      }
    }
  });
});
