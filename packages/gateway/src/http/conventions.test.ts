import { problemKindList, problemKindOf, problemKinds, problemSchema } from "@gigbridge/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeModules } from "../runtime/routes.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { createApp } from "./app.js";

type Schema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  required?: string[];
  deprecated?: boolean;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
};
type Doc = {
  paths: Record<
    string,
    Record<
      string,
      {
        responses: Record<
          string,
          { content?: Record<string, { schema: Schema }>; "x-problem-kinds"?: string[] }
        >;
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
};

let t: TestGateway;
let doc: Doc;
beforeAll(async () => {
  t = await startTestGateway({ workers: false });
  const app = createApp(t.running.gw, { routes: routeModules });
  doc = (await (await app.request("/openapi.json")).json()) as Doc;
});
afterAll(async () => t?.close());

const resolve = (schema: Schema): Schema =>
  schema.$ref ? resolve(doc.components.schemas[schema.$ref.split("/").at(-1) as string] as Schema) : schema;

/** Every operation's JSON responses: [label, status, schema]. */
function responses(): [string, string, Schema][] {
  const out: [string, string, Schema][] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) {
          out.push([`${method.toUpperCase()} ${path} ${status}`, status, resolve(media.schema)]);
        }
      }
    }
  }
  return out;
}

/** Every property anywhere below `schema`, with its name and where it is. */
function* properties(
  schema: Schema,
  where: string,
  seen = new Set<Schema>(),
): Generator<[string, Schema, string]> {
  const s = resolve(schema);
  if (seen.has(s)) return;
  seen.add(s);
  for (const [name, prop] of Object.entries(s.properties ?? {})) {
    yield [name, resolve(prop), `${where}.${name}`];
    yield* properties(prop, `${where}.${name}`, seen);
  }
  if (s.items) yield* properties(s.items, `${where}[]`, seen);
  for (const part of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])])
    yield* properties(part, where, seen);
}

describe("the API's conventions, read from its OpenAPI document", () => {
  it("answers every list with the shared page shape: {items, nextCursor}", () => {
    let lists = 0;
    for (const [label, status, schema] of responses()) {
      if (!status.startsWith("2") || !label.includes(" /v1/")) continue;
      const current = Object.entries(schema.properties ?? {}).filter(([, p]) => !resolve(p).deprecated);
      const arrays = current.filter(([, p]) => resolve(p).type === "array");
      if (arrays.length === 0 || !schema.properties?.items) {
        // A body that is a collection but not a page is what this test is here to catch.
        expect(
          arrays
            .map(([n]) => n)
            .filter(
              (n) =>
                ![
                  "events",
                  "regions",
                  "platforms",
                  "stations",
                  "tasks",
                  "errors",
                  "entries",
                  "ids",
                  "accepted",
                  "duplicates",
                  "attemptLog",
                  "scopes",
                  "staleFacts",
                ].includes(n),
            ),
          label,
        ).toEqual([]);
        continue;
      }
      lists += 1;
      // A page may say what its items belong to (a message's state), but holds one list: `items`.
      expect(
        arrays.map(([n]) => n),
        label,
      ).toEqual(["items"]);
      expect(
        current.map(([n]) => n),
        label,
      ).toContain("nextCursor");
      expect(schema.required, label).toEqual(expect.arrayContaining(["items", "nextCursor"]));
    }
    expect(lists).toBeGreaterThanOrEqual(6);
  });

  it("pages every list with the same query: cursor and limit", () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const get = ops.get as { parameters?: { name: string; schema: Schema }[] } | undefined;
      const page =
        get &&
        responses().find(
          ([l, s, r]) => l.startsWith(`GET ${path} `) && s === "200" && r.properties?.nextCursor,
        );
      if (!page) continue;
      const names = (get.parameters ?? []).map((p) => p.name);
      expect(names, path).toEqual(expect.arrayContaining(["cursor", "limit"]));
    }
  });

  it("names every instant `…At` (or since/until) and gives each the shared RFC 3339 timestamp format", () => {
    for (const [label, , schema] of responses()) {
      for (const [name, prop, where] of properties(schema, label)) {
        const isInstant =
          prop.format === "date-time" || (prop.anyOf ?? []).some((p) => resolve(p).format === "date-time");
        if (/At$/.test(name)) expect(isInstant, `${where} should be a timestamp`).toBe(true);
        if (isInstant && !prop.deprecated)
          // `deadline` and `…Since` read as instants; the naming table (docs/api-conventions.md) lists them.
          expect(name, `${where} is a timestamp`).toMatch(/At$|Since$|^(since|until|deadline)$/);
      }
    }
  });

  it("names every reference `…Id`: no bare platform, org or endpoint fields outside deprecated aliases", () => {
    for (const [label, , schema] of responses()) {
      for (const [name, prop, where] of properties(schema, label)) {
        if (["platform", "org", "endpoint", "msgId"].includes(name))
          expect(prop.deprecated, where).toBe(true);
      }
    }
  });
});

describe("errors", () => {
  it("every 4xx and 5xx response in the document is problem+json naming kinds from the enum, of its status", () => {
    let checked = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          // A probe's 503 carries the readiness of each dependency, for load balancers.
          if (Number(status) < 400 || path === "/readyz") continue;
          const label = `${method.toUpperCase()} ${path} ${status}`;
          expect(Object.keys(response.content ?? {}), label).toEqual(["application/problem+json"]);
          const kinds = response["x-problem-kinds"] ?? [];
          expect(kinds.length, label).toBeGreaterThan(0);
          for (const kind of kinds) {
            expect(problemKindList, label).toContain(kind);
            expect(String(problemKinds[kind as keyof typeof problemKinds].status), label).toBe(status);
          }
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it("answers real errors with bodies the problem schema accepts, of the kind their status says", async () => {
    const cases: [
      string,
      string,
      { key?: string; body?: unknown; headers?: Record<string, string> },
      string,
    ][] = [
      ["GET", "/v1/tasks", {}, "unauthenticated"],
      ["GET", "/v1/tasks", { key: testKeys.platform }, "forbidden"],
      ["GET", "/v1/nothing-here", { key: testKeys.platform }, "not_found"],
      ["DELETE", "/v1/signals", { key: testKeys.platform }, "method_not_allowed"],
      ["POST", "/v1/signals", { key: testKeys.platform, body: {} }, "validation"],
      ["GET", "/v1/tasks?cursor=bm9wZQ", { key: testKeys.streetA }, "validation"],
      ["POST", "/v1/tasks/tsk_nope/acknowledge", { key: testKeys.streetA }, "not_found"],
    ];
    for (const [method, path, options, kind] of cases) {
      const response = await t.call(method, path, options);
      const body = problemSchema.parse(await response.json());
      expect(problemKindOf(body.type), `${method} ${path}`).toBe(kind);
      expect(response.status, `${method} ${path}`).toBe(
        problemKinds[kind as keyof typeof problemKinds].status,
      );
    }
  });

  it("serves a page at every problem type URI", async () => {
    for (const kind of problemKindList) {
      const page = await t.call("GET", `/problems/${kind}`);
      expect(page.status, kind).toBe(200);
      expect(await page.text()).toContain(problemKinds[kind].title);
    }
    expect((await t.call("GET", "/problems")).status).toBe(200);
    expect((await t.call("GET", "/problems/nope")).status).toBe(404);
  });
});

describe("docs/api-conventions.md", () => {
  it("exists and is linked from the README and the OpenAPI description", async () => {
    const { readFileSync } = await import("node:fs");
    const root = new URL("../../../../", import.meta.url);
    expect(readFileSync(new URL("docs/api-conventions.md", root), "utf8")).toContain("## Lists");
    expect(readFileSync(new URL("README.md", root), "utf8")).toContain("docs/api-conventions.md");
    const info = (doc as unknown as { info: { description: string } }).info;
    expect(info.description).toContain("docs/api-conventions.md");
  });
});
