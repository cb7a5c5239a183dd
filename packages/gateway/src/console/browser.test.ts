/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { waitFor } from "@gigbridge/testkit";
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Receiver } from "../delivery/testing.js";
import { appeal, send, waitForFailed } from "../ops/testing.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { messages } from "./i18n.js";

/**
 * The console in a real headless Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * gateway and Redis. Every request to another origin is blocked and recorded: the console and /docs must
 * render completely without one. One browser and one gateway serve every flow; each flow has its own
 * browser context (its own cookies).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const here = dirname(fileURLToPath(import.meta.url));
const shots = resolve(here, "../../../../test-output/console");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

let t: TestGateway;
let browser: Browser;
const foreign: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  [t, browser] = await Promise.all([
    startTestGateway(),
    chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox"] }),
  ]);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function context(lang: "en" | "zh-CN" = "en"): Promise<BrowserContext> {
  const ctx = await browser.newContext({ locale: lang, extraHTTPHeaders: { "accept-language": lang } });
  ctx.setDefaultTimeout(15_000);
  const origin = new URL(t.url).origin;
  await ctx.route("**/*", (route) => {
    const url = route.request().url();
    if (new URL(url).origin === origin) return route.continue();
    foreign.push(url);
    return route.abort("blockedbyclient");
  });
  return ctx;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function login(ctx: BrowserContext, key: string): Promise<Page> {
  const page = await ctx.newPage();
  await page.goto(`${t.url}/console/login`);
  await page.fill("#key", key);
  await page.click("main button[type=submit]");
  await page.waitForURL(/\/console\/(failures|tasks)/);
  return page;
}

const text = async (locator: Locator) => (await locator.textContent()) ?? "";

/** Presses Tab until the element matching `selector` has the focus. */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/** Serious and critical axe-core violations on the page as it is now. */
async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) does not apply.
  await page.evaluate(axeSource);
  const results = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] })`)) as {
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  };
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const visited = new Set<string>();
/** Every console page a flow reached, for the language and axe scans. */
function remember(page: Page): void {
  const url = new URL(page.url());
  if (url.pathname.startsWith("/console")) visited.add(url.pathname + url.search);
}

// Two cores are shared with other test files in CI: a flow gets a minute.
describe("console in a browser", { timeout: 60_000 }, () => {
  let taskId = "";

  it("an operator finds a no_route failure, adds the org, dry-runs, replays to done, and finds the audit entry", async () => {
    await send(t, [appeal("br-no-route", "310115001")]);
    await waitForFailed(t, "signals", 1);
    const ctx = await context("en");
    const page = await login(ctx, testKeys.operator);
    await shot(page, "01-failures");
    // The grouped counts link to the failures of one reason.
    await page.click('table:has(caption:text("By reason")) a:text("no_route")');
    await page.waitForURL(/reason=no_route/);
    remember(page);
    const row = page.locator("#failure-list tbody tr", { hasText: "no_route" }).first();
    await row.locator("a").click();
    await page.waitForURL(/\/console\/failures\/signals/);
    remember(page);
    expect(await text(page.locator("main"))).toContain("no_route");
    await shot(page, "02-failure-detail");

    await page.click('nav a[href="/console/orgs"]');
    await page.fill("#f-id", "pudong");
    await page.fill("#f-code", "T-310115");
    await page.fill("#f-name", "Pudong committee");
    await page.selectOption("#org-kind", "district_committee");
    await page.fill("#f-regions", "310115");
    await page.click('button:text("Save organization")');
    await page.waitForURL(/added=1/);
    remember(page);
    expect(await text(page.locator("tbody"))).toContain("Pudong committee");
    await shot(page, "03-org-added");

    await page.goto(`${t.url}/console/failures?reason=no_route`);
    await page.click('a:text("Replay everything this filter selects")');
    remember(page);
    expect(await page.locator('button:text("Replay now")').isDisabled()).toBe(true);
    await page.click('button:text("Dry run: count")');
    expect((await text(page.locator("#dry-run-count"))).trim()).toBe("1");
    await shot(page, "04-dry-run");
    await page.click('button:text("Replay now")');
    await page.waitForURL(/\/console\/replays\/rpl_/);
    remember(page);
    await waitFor(
      async () =>
        (await page
          .locator("#replay-status")
          .getAttribute("data-status")
          .catch(() => null)) === "completed",
      { description: "the replay to be done", timeoutMs: 20_000 },
    );
    expect((await text(page.locator("#replay-done"))).trim()).toBe("1");
    expect((await text(page.locator("#replay-failed"))).trim()).toBe("0");
    await shot(page, "05-replay-done");

    await page.click('nav a[href="/console/audit"]');
    await page.fill("#f-action", "replay");
    await page.keyboard.press("Enter");
    await page.waitForURL(/action=replay/);
    remember(page);
    expect(await text(page.locator("tbody tr").first())).toContain("operator");
    expect(await text(page.locator("tbody tr").first())).toContain("accepted");
    await shot(page, "06-audit");
    for (const path of ["/console/endpoints", "/console/queues"]) {
      await page.goto(t.url + path);
      remember(page);
    }
    await ctx.close();
  });

  it("a viewer sees replay disabled, and a forged POST is refused", async () => {
    const ctx = await context("en");
    const page = await login(ctx, testKeys.viewer);
    await page.goto(`${t.url}/console/replay?reason=no_route`);
    expect(await page.locator('button:text("Dry run: count")').isDisabled()).toBe(true);
    expect(await page.locator('button:text("Replay now")').isDisabled()).toBe(true);
    await shot(page, "07-viewer-disabled");
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    const forged = await ctx.request.post(`${t.url}/console/replay`, {
      form: { _csrf: csrf, mode: "run", reason: "no_route" },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    const audit = await t.call("GET", "/v1/ops/audit?operator=viewer", { key: testKeys.operator });
    expect(((await audit.json()) as { items: { outcome: string }[] }).items[0]?.outcome).toBe("denied");
    await ctx.close();
  });

  it("a street org acknowledges and completes a new task with the keyboard, and sees the 409 in words", async () => {
    await send(t, [appeal("br-street", "110105001")]);
    const ctx = await context("en");
    const page = await login(ctx, testKeys.streetA);
    const link = page.locator("tbody a").first();
    await waitFor(
      async () => {
        await page.reload();
        return (await link.count()) > 0;
      },
      { description: "the new task in the inbox", intervalMs: 200 },
    );
    remember(page);
    await shot(page, "08-inbox");
    taskId = decodeURIComponent((await link.getAttribute("href"))?.split("/").pop() ?? "");

    // Keyboard only: the task, then Acknowledge, then Confirm.
    await tabTo(page, "tbody a");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/console\/tasks\/tsk_/);
    remember(page);
    expect((await text(page.locator("#task-contact"))).trim()).toBe(messages.en["task.contactHidden"]);
    await tabTo(page, 'a[href$="/acknowledge"]');
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/acknowledge$/);
    remember(page);
    await tabTo(page, 'main button[type="submit"]');
    await page.keyboard.press("Enter");
    await page.waitForURL(/done=acknowledged/);
    expect((await text(page.locator("#task-status"))).trim()).toBe("Acknowledged");

    await page.click('a[href$="/complete"]');
    await page.fill("#f-text", "Called back and registered.");
    await page.click('main button[type="submit"]');
    await page.waitForURL(/done=completed/);
    expect((await text(page.locator("#task-status"))).trim()).toBe("Completed");
    await shot(page, "09-completed");

    // Completing again (an old tab): the 409, in words.
    await page.goto(`${t.url}/console/tasks/${encodeURIComponent(taskId)}/complete`);
    await page.fill("#f-text", "Again.");
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === "POST"),
      page.click('main button[type="submit"]'),
    ]);
    expect(response.status()).toBe(409);
    expect(await text(page.locator('[role="alert"]'))).toContain("already Completed");
    await shot(page, "10-conflict");
    await page.goto(`${t.url}/console/webhooks`);
    remember(page);
    await ctx.close();
  });

  it("an org adds a webhook endpoint, copies its secret, sends a test and reads the attempt log", async () => {
    const receiver = await Receiver.start();
    const ctx = await context("en");
    await ctx.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(t.url).origin });
    const page = await login(ctx, testKeys.streetB);
    await page.click('nav a[href="/console/webhooks"]');
    await page.fill("#f-url", `${receiver.url}/hook`);
    await page.click('button:text("Add endpoint")');
    const secret = (await text(page.locator("#new-secret"))).trim();
    expect(secret).toMatch(/^whsec_/);
    await page.click("button[data-copy]");
    // The label changes once the clipboard write resolves: wait for it rather than read at once.
    await page
      .locator("button[data-copy]", { hasText: messages.en["myEndpoints.copied"] })
      .waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await shot(page, "11-endpoint-created");
    await page.goto(`${t.url}/console/webhooks`);
    remember(page);
    expect(await page.content()).not.toContain(secret);
    await page.click('button:text("Send a test")');
    expect(await text(page.locator('[role="status"]'))).toContain("success 204");
    expect(receiver.requests.length).toBe(1);
    await page.click('tbody a[href^="/console/webhooks/"]');
    remember(page);
    expect(await page.locator("tbody tr").count()).toBe(1);
    expect(await text(page.locator("tbody tr"))).toContain("success");
    await shot(page, "12-attempt-log");
    await ctx.close();
    await receiver.close();
  });

  it("a district sees its streets' tasks; a sibling street sees none of them", async () => {
    const district = await context("en");
    const page = await login(district, testKeys.district);
    expect(await page.locator(`tr[data-task="${taskId}"]`).count()).toBe(1);
    await page.selectOption("#f-org", "street-a");
    await page.click('main button:text("Filter")');
    await page.waitForURL(/org=street-a/);
    expect(await page.locator(`tr[data-task="${taskId}"]`).count()).toBe(1);
    await shot(page, "13-district");
    await district.close();

    const sibling = await context("en");
    const other = await login(sibling, testKeys.streetB);
    await other.locator("#inbox-empty").waitFor({ state: "visible" });
    await other.goto(`${t.url}/console/tasks/${encodeURIComponent(taskId)}`);
    expect(await text(other.locator('[role="alert"]'))).toContain(messages.en["error.notFound"]);
    await shot(other, "14-sibling");
    await sibling.close();
  });

  /** Serious or critical axe-core findings, gathered while the language test visits every page in Chinese. */
  const found: string[] = [];
  let scanned = 0;

  it("Chinese and English pages show only their own language", async () => {
    const enValues = new Set(Object.values(messages.en).filter((v) => v.length >= 4));
    for (const lang of ["en", "zh-CN"] as const) {
      for (const [key, paths] of [
        [testKeys.operator, [...visited].filter((p) => !/tasks|webhooks/.test(p))],
        [testKeys.streetA, [...visited].filter((p) => /tasks|webhooks/.test(p))],
      ] as const) {
        const ctx = await context(lang);
        const page = await login(ctx, key);
        for (const path of ["/console/login", ...paths]) {
          await page.goto(t.url + path);
          expect(await page.getAttribute("html", "lang")).toBe(lang);
          // The switch names the other language in that language; identifiers (code) and free text people
          // wrote (.data) are as they were written; everything else is in the page's language.
          const text = await page.evaluate(() => {
            const clone = document.body.cloneNode(true) as HTMLElement;
            for (const el of clone.querySelectorAll("[lang], code, .data")) el.remove();
            return clone.textContent ?? "";
          });
          if (lang === "en") expect(text, path).not.toMatch(/[\u4e00-\u9fff]/);
          else {
            for (const value of enValues) expect(text, `${path}: "${value}"`).not.toContain(value);
            for (const v of await axeViolations(page)) found.push(`${path}: ${v}`);
            scanned++;
          }
        }
        if (lang === "zh-CN") await shot(page, `15-zh-${key === testKeys.operator ? "operator" : "org"}`);
        await ctx.close();
      }
    }
  });

  it("with every other origin blocked, /console and /docs render completely", async () => {
    const ctx = await context("en");
    const page = await ctx.newPage();
    await page.goto(`${t.url}/docs`);
    await page.locator(".swagger-ui .info .title").waitFor();
    expect(await text(page.locator(".swagger-ui .info .title"))).toContain("GigBridge API");
    await page.locator(".opblock").first().waitFor({ state: "visible" });
    await shot(page, "16-docs-offline");
    const consolePage = await login(ctx, testKeys.operator);
    const background = await consolePage.evaluate(
      () => getComputedStyle(document.querySelector("header")!).backgroundColor,
    );
    expect(background).toBe("rgb(164, 22, 26)");
    await shot(consolePage, "17-console-offline");
    await ctx.close();
    expect(foreign).toEqual([]);
  });

  it("axe-core finds no serious or critical violation on any page", async () => {
    expect(visited.size).toBeGreaterThanOrEqual(10);
    expect(scanned).toBeGreaterThan(visited.size);
    expect(found).toEqual([]);

    // The scan itself works: an image with no text alternative is found.
    const ctx = await context("en");
    const page = await ctx.newPage();
    await page.goto(`${t.url}/console/login`);
    await page.evaluate(() => document.querySelector("main")?.append(document.createElement("img")));
    expect((await axeViolations(page)).join("\n")).toContain("image-alt (critical)");
    await ctx.close();
  });
});

if (!existsSync(CHROMIUM)) {
  throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get install -y chromium (as .ci/run does)`);
}
