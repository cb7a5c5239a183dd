import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { hashKey } from "../packages/gateway/src/core/credentials.js";
import {
  startTestGateway,
  type TestGateway,
  testKeys,
} from "../packages/gateway/src/test-support/gateway.js";

/**
 * The shipped Prometheus rules and Grafana dashboard read only what the gateway exports: every
 * metric, every label and every label value they name is found in a live `/metrics` after a short
 * scenario (accepted, refused, rate-limited and unroutable signals, a delivered and a failing
 * webhook). A renamed metric or label breaks this test, not an operator's alert at night.
 */

const root = resolve(import.meta.dirname, "..");
const rulesFile = parse(readFileSync(resolve(root, "deploy/prometheus/gigbridge.rules.yml"), "utf8")) as {
  groups: { name: string; rules: { record?: string; alert?: string; expr: string; labels?: object }[] }[];
};
const dashboard = JSON.parse(
  readFileSync(resolve(root, "deploy/grafana/gigbridge.json"), "utf8"),
) as Dashboard;

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: { refId: string; expr: string; legendFormat?: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: string }[] };
}

/** Exported series: metric name -> label name -> values seen. */
type Exported = Map<string, Map<string, Set<string>>>;

function parseExposition(text: string): Exported {
  const out: Exported = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})?\s/.exec(line);
    if (!match) continue;
    const labels = out.get(match[1] as string) ?? new Map<string, Set<string>>();
    out.set(match[1] as string, labels);
    for (const [, name, value] of (match[3] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      const values = labels.get(name as string) ?? new Set<string>();
      values.add(value as string);
      labels.set(name as string, values);
    }
  }
  return out;
}

/** Labels every Prometheus target has, and histogram buckets' own label. */
const ambient = new Set(["instance", "job", "le"]);

interface Selector {
  metric: string;
  matchers: { label: string; op: string; value: string }[];
}

/** The metric selectors, grouping labels and recording rules an expression uses (a PromQL subset: what the rules use). */
function usage(expr: string): { selectors: Selector[]; grouping: string[]; recorded: string[] } {
  const grouping: string[] = [];
  const withoutGrouping = expr.replace(/\b(by|without)\s*\(([^)]*)\)/g, (_, _kw, labels: string) => {
    grouping.push(
      ...labels
        .split(",")
        .map((l) => l.trim())
        .filter(Boolean),
    );
    return " ";
  });
  const selectors: Selector[] = [];
  const recorded: string[] = [];
  for (const [, name, , body] of withoutGrouping.matchAll(/([a-zA-Z_:][\w:]*)\s*(\{([^}]*)\})?/g)) {
    const metric = name as string;
    if (metric.includes(":")) {
      recorded.push(metric);
      continue;
    }
    if (!/^(gigbridge|process|nodejs)_/.test(metric)) continue;
    const matchers = [...(body ?? "").matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map(
      ([, label, op, value]) => ({
        label: label as string,
        op: op as string,
        value: value as string,
      }),
    );
    selectors.push({ metric, matchers });
  }
  return { selectors, grouping, recorded };
}

function checkExpr(where: string, expr: string, exported: Exported, recordings: Set<string>): string[] {
  const problems: string[] = [];
  const { selectors, grouping, recorded } = usage(expr);
  for (const name of recorded)
    if (!recordings.has(name)) problems.push(`${where}: no recording rule ${name}`);
  const labelsInExpr = new Set<string>();
  for (const { metric, matchers } of selectors) {
    const labels = exported.get(metric);
    if (!labels) {
      problems.push(`${where}: ${metric} is not exported`);
      continue;
    }
    for (const label of labels.keys()) labelsInExpr.add(label);
    for (const { label, op, value } of matchers) {
      const values = labels.get(label);
      if (!values) {
        problems.push(`${where}: ${metric} has no label ${label}`);
        continue;
      }
      // Each value an equality or an alternation names must be one the gateway produces.
      if (op === "=" || op === "=~") {
        for (const wanted of op === "=" ? [value] : value.split("|")) {
          if (!values.has(wanted))
            problems.push(`${where}: ${metric}{${label}="${wanted}"} is never exported`);
        }
      }
    }
  }
  for (const label of grouping) {
    if (!ambient.has(label) && !labelsInExpr.has(label) && recorded.length === 0)
      problems.push(`${where}: groups by ${label}, which none of its metrics has`);
  }
  return problems;
}

function dashboardPanels(): Panel[] {
  return dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

describe("Grafana dashboard", () => {
  it("is a current Grafana dashboard: schema version, unique ids, a data source variable, panels on the grid", () => {
    expect(dashboard.uid).toBe("gigbridge");
    expect(dashboard.title).toBe("GigBridge");
    // Grafana 11 writes 39-41; older schemas are migrated on load, and a newer one is not ours.
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(39);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: "datasource", type: "datasource", query: "prometheus" }),
    );
    const panels = dashboardPanels();
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const panel of panels) {
      expect(["row", "timeseries", "stat"]).toContain(panel.type);
      const { x, y, w, h } = panel.gridPos;
      expect(x + w, panel.title).toBeLessThanOrEqual(24);
      // No two panels overlap.
      for (let i = x; i < x + w; i++)
        for (let j = y; j < y + h; j++) {
          expect(cells.has(`${i},${j}`), `${panel.title} overlaps at ${i},${j}`).toBe(false);
          cells.add(`${i},${j}`);
        }
      if (panel.type === "row") continue;
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template literal.
      expect(panel.datasource?.uid, panel.title).toBe("${datasource}");
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr.trim()).not.toBe("");
    }
  });

  it("has a panel for each thing the issue names", () => {
    const titles = dashboardPanels().map((p) => p.title);
    for (const title of [
      "Intake rate by platform and outcome",
      "Intake latency",
      "Processing rate by type",
      "Processing lag",
      "Deliveries by outcome",
      "Endpoints by health",
      "Tasks created by kind",
      "Tasks overdue by kind",
      "Tasks completed by kind",
      "Failures by reason",
      "Redis availability",
    ])
      expect(titles).toContain(title);
  });
});

describe("rules and dashboard against a live /metrics", () => {
  let t: TestGateway;
  let ok: Server;
  let down: Server;
  let exported: Exported;
  let delivered = 0;
  let failed = 0;

  const listen = (server: Server) =>
    new Promise<string>((done) =>
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        done(`http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`);
      }),
    );

  beforeAll(async () => {
    ok = createServer((req, res) => {
      req.resume().on("end", () => {
        delivered++;
        res.writeHead(204).end();
      });
    });
    down = createServer((req, res) => {
      req.resume().on("end", () => {
        failed++;
        res.writeHead(503).end();
      });
    });
    const [okUrl, downUrl] = await Promise.all([listen(ok), listen(down)]);
    const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
    t = await startTestGateway({
      config: {
        platforms: [
          { id: "platform-a", name: "A", keyHashes: [hashKey(testKeys.platform)] },
          {
            id: "platform-b",
            name: "B",
            keyHashes: [hashKey(testKeys.otherPlatform)],
            rateLimit: { perSecond: 1, burst: 1 },
          },
        ],
        endpoints: [
          { id: "ep-ok", org: "street-a", url: okUrl, secret },
          { id: "ep-down", org: "street-b", url: downUrl, secret },
        ],
      },
    });

    const consent = { id: "c-1", grantedAt: "2026-11-29T08:00:00+08:00", scopes: ["share_membership"] };
    const declared = (id: string, regionCode: string) => ({
      id,
      type: "membership.declared",
      occurredAt: "2026-12-01T08:00:00+08:00",
      data: {
        workerId: `w-${id}`,
        politicalStatus: "member",
        regionCode,
        homeOrganization: { name: "Home" },
        consent,
      },
    });
    const send = (key: string, body: unknown, path = "/v1/signals") => t.call("POST", path, { key, body });

    expect((await send(testKeys.platform, declared("obs-1", "110105001"))).status).toBe(202);
    expect(
      (await send(testKeys.platform, { signals: [declared("obs-2", "110105002")] }, "/v1/signals/batch"))
        .status,
    ).toBe(202);
    // No org covers Shanghai: no_route.
    expect((await send(testKeys.platform, declared("obs-3", "310101001"))).status).toBe(202);
    expect((await send(testKeys.platform, { ...declared("obs-4", "110105001"), type: "nope" })).status).toBe(
      422,
    );
    expect((await send(testKeys.otherPlatform, declared("obs-5", "110105001"))).status).toBe(202);
    expect((await send(testKeys.otherPlatform, declared("obs-6", "110105001"))).status).toBe(429);

    await waitFor(() => (delivered > 0 && failed > 0 ? true : undefined), {
      description: "one webhook delivered and one failed",
    });
    exported = await waitFor(
      async () => {
        const metrics = parseExposition(await (await fetch(`${t.url}/metrics`)).text());
        const processed = metrics.get("gigbridge_signals_processed_total");
        const failing = await t.running.gw.redis.zcard("gb:{endpoint-health}:failing");
        return processed && failing > 0 ? metrics : undefined;
      },
      { description: "processing and the endpoint health board in /metrics" },
    );
  });
  afterAll(async () => {
    await t?.close();
    ok?.close();
    down?.close();
  });

  it("exports what the scenario did", () => {
    expect(exported.get("gigbridge_signals_total")?.get("outcome")).toEqual(
      new Set(["accepted", "refused", "rate_limited"]),
    );
    expect(exported.get("gigbridge_ready")).toBeDefined();
    expect(exported.get("gigbridge_delivery_endpoints")?.get("health")).toEqual(
      new Set(["failing", "disabled"]),
    );
  });

  it("every metric, label and label value the rules use is exported", () => {
    const recordings = new Set(
      rulesFile.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    const problems = rulesFile.groups.flatMap((g) =>
      g.rules.flatMap((r) => checkExpr(r.record ?? r.alert ?? "?", r.expr, exported, recordings)),
    );
    expect(problems).toEqual([]);
    // The check itself finds what is missing.
    expect(
      checkExpr(
        "probe",
        'sum by (tenant) (rate(gigbridge_signals_total{outcome="lost"}[5m]))',
        exported,
        recordings,
      ),
    ).toEqual([
      'probe: gigbridge_signals_total{outcome="lost"} is never exported',
      "probe: groups by tenant, which none of its metrics has",
    ]);
    expect(
      checkExpr("probe", "gigbridge_nothing_total + gigbridge:nothing", exported, recordings),
    ).toHaveLength(2);
  });

  it("every metric, label and recording rule the dashboard uses is exported or recorded", () => {
    const recordings = new Set(
      rulesFile.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))),
    );
    const problems = dashboardPanels().flatMap((panel) =>
      (panel.targets ?? []).flatMap((target) => checkExpr(panel.title, target.expr, exported, recordings)),
    );
    expect(problems).toEqual([]);
  });
});
