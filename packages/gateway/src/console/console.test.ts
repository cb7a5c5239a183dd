import { request } from "node:http";
import { type Signal, type Task, taskKinds } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Credentials } from "../core/credentials.js";
import { createLogger } from "../core/logger.js";
import { disabledEndpointIds, disableEndpoint } from "../delivery/health.js";
import { LogCapture } from "../delivery/testing.js";
import { appeal, send } from "../ops/testing.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { CONSOLE_CSP } from "./app.js";
import { enumLabels, messages, pickLanguage, speaker } from "./i18n.js";
import { createLoginLink } from "./session.js";

let t: TestGateway;
const logs = new LogCapture();
beforeAll(async () => {
  t = await startTestGateway({ logger: createLogger({ level: "debug", destination: logs }) });
});
afterAll(async () => t?.close());

/** A browser-like client: keeps the session cookie, never follows redirects. */
class Client {
  cookie = "";
  constructor(private readonly lang = "en") {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await fetch(t.url + path, {
      redirect: "manual",
      ...init,
      headers: {
        "accept-language": this.lang,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(init.headers as Record<string, string>),
      },
    });
    const set = response.headers.getSetCookie().find((c) => c.startsWith("gb_console="));
    if (set) this.cookie = set.split(";")[0] as string;
    return response;
  }

  form(path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    return this.fetch(path, {
      method: "POST",
      body: new URLSearchParams(fields),
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    });
  }

  async login(key: string): Promise<Response> {
    return this.form("/console/login", { key });
  }

  /** The CSRF token the page's forms carry. */
  async csrf(path: string): Promise<string> {
    const html = await (await this.fetch(path)).text();
    return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] as string;
  }
}

describe("console security", () => {
  it("sends a strict CSP with no inline script and no other origin, and refuses framing", async () => {
    const response = await new Client().fetch("/console/login");
    expect(response.status).toBe(200);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toBe(CONSOLE_CSP);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\son[a-z]+=|style=|https?:\/\//);
  });

  it("sets an HttpOnly, SameSite=Strict session cookie that expires, and keeps the key out of pages", async () => {
    const client = new Client();
    const response = await client.login(testKeys.operator);
    expect(response.status).toBe(303);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith("gb_console=")) ?? "";
    expect(cookie).toMatch(/; HttpOnly/i);
    expect(cookie).toMatch(/; SameSite=Strict/i);
    expect(cookie).toMatch(/; Max-Age=28800/);
    expect(cookie).toMatch(/; Path=\/console/);
    expect(cookie).not.toContain(testKeys.operator);
    expect(response.headers.get("location")).toBe("/console");
    const page = await client.fetch("/console/failures");
    expect(page.status).toBe(200);
    expect(await page.text()).not.toContain(testKeys.operator);
    const stored = await t.running.gw.redis.keys("gb:{console}:*");
    for (const key of stored) expect(await t.running.gw.redis.get(key)).not.toContain(testKeys.operator);
  });

  it("refuses a wrong key with 401 and sends pages without a session to the sign-in", async () => {
    expect((await new Client().login("gb_op_not_a_key")).status).toBe(401);
    const response = await new Client().fetch("/console/failures");
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe("/console/login");
  });

  it("refuses a change without the session's CSRF token, and one from another origin", async () => {
    const client = new Client();
    await client.login(testKeys.operator);
    const org = {
      id: "csrf-org",
      code: "C-1",
      name: "C",
      kind: "street_committee",
      parent: "",
      regions: "3101",
    };
    const forged = await client.form("/console/orgs", { ...org, _csrf: "forged" });
    expect(forged.status).toBe(403);
    const missing = await client.form("/console/orgs", org);
    expect(missing.status).toBe(403);
    expect(await t.running.gw.orgs.get("csrf-org")).toBeUndefined();

    const csrf = await client.csrf("/console/orgs");
    const crossSite = await client.form(
      "/console/logout",
      { _csrf: csrf },
      { origin: "https://evil.example" },
    );
    expect(crossSite.status).toBe(403);

    const saved = await client.form("/console/orgs", { ...org, _csrf: csrf });
    expect(saved.status).toBe(303);
    expect(await t.running.gw.orgs.get("csrf-org")).toMatchObject({ regions: ["3101"] });
  });

  it("refuses a viewer's change with 403 and audits the attempt", async () => {
    const client = new Client();
    await client.login(testKeys.viewer);
    const csrf = await client.csrf("/console/replay");
    const response = await client.form("/console/replay", { _csrf: csrf, mode: "run", reason: "no_route" });
    expect(response.status).toBe(403);
    const denied = await t.call("GET", "/v1/ops/audit?action=replay", { key: testKeys.operator });
    const items = ((await denied.json()) as { items: { operator: string; outcome: string }[] }).items;
    expect(items[0]).toMatchObject({ operator: "viewer", outcome: "denied" });
  });

  it("ends a session when its key is revoked", async () => {
    const redis = t.running.gw.redis;
    const key = await Credentials.create(redis, { kind: "org", id: "street-a" });
    const client = new Client();
    await client.login(key);
    expect((await client.fetch("/console/tasks")).status).toBe(200);
    const { credentialId, hashKey } = await import("../core/credentials.js");
    expect(await Credentials.revoke(redis, credentialId(hashKey(key)))).toBe("revoked");
    // Every process drops its cached lookups within 2 s of a revocation; the session ends with it.
    await waitFor(async () => (await client.fetch("/console/tasks")).status === 303, {
      description: "the session to end",
      timeoutMs: 5_000,
      intervalMs: 100,
    });
  });

  it("a one-time sign-in link starts a session once and carries no key", async () => {
    const link = await createLoginLink(t.running.gw, testKeys.streetA);
    expect(link).not.toContain(testKeys.streetA);
    const client = new Client();
    const first = await client.fetch(`/console/login/link/${link}`);
    expect(first.status).toBe(303);
    expect((await client.fetch("/console/tasks")).status).toBe(200);
    expect((await new Client().fetch(`/console/login/link/${link}`)).status).toBe(401);
  });

  it("serves the first page and its assets under 200 KB compressed", async () => {
    const client = new Client();
    await client.login(testKeys.operator);
    let total = 0;
    for (const path of ["/console/failures", "/console/assets/console.css", "/console/assets/console.js"]) {
      total += await compressedSize(path, client.cookie);
    }
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(200 * 1024);
  });
});

describe("console pages", () => {
  const declared = (id: string, contact: boolean): Signal =>
    ({
      id,
      type: "membership.declared",
      occurredAt: "2026-12-01T10:00:00+08:00",
      data: {
        workerId: `w-${id}`,
        politicalStatus: "member",
        regionCode: "110105002",
        homeOrganization: { name: "Home branch" },
        ...(contact ? { contact: { name: "Zhang San", phone: "13800138000" } } : {}),
        consent: {
          id: `c-${id}`,
          grantedAt: "2026-12-01T09:00:00+08:00",
          scopes: contact ? ["share_membership", "share_contact"] : ["share_membership"],
        },
      },
    }) as Signal;

  it("shows the worker's contact only when consent allowed it, and filters the inbox", async () => {
    await send(t, [declared("with-contact", true), declared("without-contact", false)]);
    const tasks = await waitFor(
      async () => {
        const r = await t.call("GET", "/v1/tasks", { key: testKeys.streetB });
        const items = ((await r.json()) as { items: Task[] }).items;
        return items.length === 2 ? items : undefined;
      },
      { description: "two register_member tasks" },
    );
    const street = new Client();
    await street.login(testKeys.streetB);
    const pages = await Promise.all(
      tasks.map(async (task) => [
        task.signalId,
        await (await street.fetch(`/console/tasks/${task.id}`)).text(),
      ]),
    );
    for (const [signalId, html] of pages) {
      if (signalId === "with-contact") expect(html).toContain("Zhang San 13800138000");
      else {
        expect(html).not.toContain("13800138000");
        expect(html).toContain(messages.en["task.contactHidden"]);
      }
    }

    const rows = async (client: Client, query: string) =>
      ((await (await client.fetch(`/console/tasks${query}`)).text()).match(/data-task="/g) ?? []).length;
    expect(await rows(street, "")).toBe(2);
    expect(await rows(street, "?kind=register_member&status=open")).toBe(2);
    expect(await rows(street, "?kind=follow_up_appeal")).toBe(0);
    expect(await rows(street, "?status=completed")).toBe(0);
    expect(await rows(street, "?overdue=1")).toBe(0);
    const district = new Client();
    await district.login(testKeys.district);
    expect(await rows(district, "?org=street-b")).toBe(2);
    expect(await rows(district, "?org=street-a")).toBe(0);
    // An org outside the viewer's subtree is ignored, not shown.
    expect(await rows(street, "?org=district")).toBe(2);
  });

  it("replays items picked by hand: the selection, then a dry run's count", async () => {
    await send(t, [appeal("by-hand-1", "440305"), appeal("by-hand-2", "440306")]);
    await waitFor(async () => (await t.running.gw.queue("signals").getFailedCount()) >= 2, {
      description: "two no_route failures",
    });
    const client = new Client();
    await client.login(testKeys.operator);
    const ids = ["signals:platform-a|by-hand-1", "signals:platform-a|by-hand-2"];
    const query = ids.map((id) => `ids=${encodeURIComponent(id)}`).join("&");
    const page = await (await client.fetch(`/console/replay?${query}`)).text();
    for (const id of ids) expect(page).toContain(`<code>${id}</code>`);
    expect(page).toMatch(/<button type="submit" name="mode" value="run" disabled="">/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const body = new URLSearchParams([["_csrf", csrf], ["mode", "dry"], ...ids.map((id) => ["ids", id])]);
    const dry = await client.fetch("/console/replay", {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(dry.status).toBe(200);
    expect(await dry.text()).toMatch(/<strong id="dry-run-count">2<\/strong>/);
  });

  it("searches the organization directory", async () => {
    const client = new Client();
    await client.login(testKeys.viewer);
    const html = await (await client.fetch("/console/orgs?q=110105002")).text();
    const listed = /<tbody>(.*?)<\/tbody>/s.exec(html)?.[1] ?? "";
    expect(listed).toContain("Street B");
    expect(listed).not.toContain("Street A");
  });

  it("an org creates an endpoint, sees its secret once, and rotates it", async () => {
    const client = new Client();
    await client.login(testKeys.streetA);
    const csrf = await client.csrf("/console/webhooks");
    const created = await client.form("/console/webhooks", { _csrf: csrf, url: "http://127.0.0.1:9/hook" });
    expect(created.status).toBe(201);
    const secret = /id="new-secret"[^>]*>\s*(whsec_[^<\s]+)/.exec(await created.text())?.[1];
    expect(secret).toBeDefined();
    const list = await (await client.fetch("/console/webhooks")).text();
    expect(list).toContain("http://127.0.0.1:9/hook");
    expect(list).not.toContain(secret);
    const id = /href="\/console\/webhooks\/([^"]+)"/.exec(list)?.[1] as string;
    const rotated = await client.form(`/console/webhooks/${id}/rotate`, { _csrf: csrf });
    const next = /id="new-secret"[^>]*>\s*(whsec_[^<\s]+)/.exec(await rotated.text())?.[1];
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    expect(logs.lines.map((l) => JSON.stringify(l)).join("\n")).not.toContain(next);
  });

  it("shows disabled endpoints; a viewer cannot re-enable one, an operator can", async () => {
    const gw = t.running.gw;
    const created = await t.call("POST", "/v1/endpoints", {
      key: testKeys.streetB,
      body: { url: "http://127.0.0.1:9/gone" },
    });
    const { id } = (await created.json()) as { id: string };
    await disableEndpoint(gw, "street-b", id, "gone", gw.now());

    const viewer = new Client();
    await viewer.login(testKeys.viewer);
    const page = await (await viewer.fetch("/console/endpoints")).text();
    expect(page).toContain(id);
    expect(page).toMatch(/<button type="submit" disabled="">/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] as string;
    const path = `/console/endpoints/street-b/${id}/enable`;
    expect((await viewer.form(path, { _csrf: csrf })).status).toBe(403);

    const operator = new Client();
    await operator.login(testKeys.operator);
    const enabled = await operator.form(path, { _csrf: await operator.csrf("/console/endpoints") });
    expect(enabled.status).toBe(303);
    expect((await disabledEndpointIds(gw, "street-b")).has(id)).toBe(false);
    expect(await (await operator.fetch("/console/endpoints")).text()).not.toContain(id);
    const audit = await t.call("GET", "/v1/ops/audit?action=endpoint.enable", { key: testKeys.operator });
    const outcomes = ((await audit.json()) as { items: { operator: string; outcome: string }[] }).items;
    expect(outcomes.map((e) => `${e.operator}:${e.outcome}`)).toEqual(["operator:accepted", "viewer:denied"]);
  });

  it("never writes a key into the logs", () => {
    const text = logs.lines.map((l) => JSON.stringify(l)).join("\n");
    expect(logs.lines.length).toBeGreaterThan(10);
    for (const key of Object.values(testKeys)) expect(text).not.toContain(key);
  });
});

describe("console languages", () => {
  it("both dictionaries have the same keys, and no entry is left untranslated", () => {
    expect(Object.keys(messages.zh).sort()).toEqual(Object.keys(messages.en).sort());
    for (const key of Object.keys(messages.en) as (keyof typeof messages.en)[]) {
      // The switch names the other language in that language; every other entry is in its own.
      if (key === "lang.switch") continue;
      expect(messages.zh[key], key).toMatch(/[\u4e00-\u9fff]/);
      expect(messages.en[key], key).not.toMatch(/[\u4e00-\u9fff]/);
    }
    for (const labels of Object.values(enumLabels)) {
      for (const label of Object.values(labels)) expect(label.zh, label.en).toBeTruthy();
    }
    expect(taskKinds.every((k) => enumLabels.taskKind[k].zh)).toBe(true);
  });

  it("shows dates in the configured time zone (Asia/Shanghai by default)", () => {
    expect(t.running.gw.config.console.timeZone).toBe("Asia/Shanghai");
    const at = "2026-12-01T16:30:00Z";
    expect(speaker("en", "Asia/Shanghai").date(at)).toBe("2 Dec 2026, 00:30");
    expect(speaker("zh", "Asia/Shanghai").date(at)).toBe("2026年12月2日 00:30");
    expect(speaker("en", "Europe/Berlin").date(at)).toBe("1 Dec 2026, 17:30");
  });

  it("follows Accept-Language, defaults to Chinese, and the switch overrides it", async () => {
    expect(pickLanguage(undefined, "en-US,en;q=0.9")).toBe("en");
    expect(pickLanguage(undefined, "zh-CN,zh;q=0.9,en;q=0.8")).toBe("zh");
    expect(pickLanguage(undefined, "fr, en;q=0.5")).toBe("en");
    expect(pickLanguage(undefined, undefined)).toBe("zh");
    expect(pickLanguage("zh", "en")).toBe("zh");

    const en = await (await new Client("en").fetch("/console/login")).text();
    expect(en).toContain('<html lang="en">');
    expect(en).toContain(messages.en["login.title"]);
    const zh = await (await new Client("zh-CN").fetch("/console/login")).text();
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain(messages.zh["login.key"]);

    const switched = await new Client("en").fetch("/console/lang?to=zh&back=/console/login");
    expect(switched.status).toBe(303);
    expect(switched.headers.get("location")).toBe("/console/login");
    const langCookie = switched.headers.getSetCookie().find((c) => c.startsWith("gb_lang=")) ?? "";
    const page = await fetch(`${t.url}/console/login`, {
      headers: { "accept-language": "en", cookie: langCookie.split(";")[0] as string },
    });
    expect(await page.text()).toContain('<html lang="zh-CN">');
    // The switch never sends anyone off the console.
    const away = await new Client().fetch("/console/lang?to=en&back=https://evil.example/");
    expect(away.headers.get("location")).toBe("/console");
  });
});

describe("/docs", () => {
  it("names the console in the OpenAPI document the gateway serves", async () => {
    const doc = (await (await t.call("GET", "/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/console");
  });

  it("loads Swagger UI from the gateway, not from a CDN", async () => {
    const page = await t.call("GET", "/docs");
    const html = await page.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('src="/docs/assets/swagger-ui-bundle.js"');
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const bundle = await t.call("GET", "/docs/assets/swagger-ui-bundle.js");
    expect(bundle.status).toBe(200);
    expect((await bundle.text()).length).toBeGreaterThan(100_000);
    expect((await t.call("GET", "/docs/assets/swagger-ui.css")).status).toBe(200);
  });
});

/** Bytes on the wire for a gzip-accepting client. */
function compressedSize(path: string, cookie: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${t.url}${path}`,
      { headers: { "accept-encoding": "gzip", cookie, "accept-language": "zh-CN" } },
      (res) => {
        let bytes = 0;
        res.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on("end", () =>
          res.statusCode === 200 ? resolve(bytes) : reject(new Error(`${path}: ${res.statusCode}`)),
        );
      },
    );
    req.on("error", reject);
    req.end();
  });
}
