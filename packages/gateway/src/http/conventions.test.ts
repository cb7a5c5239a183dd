import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeModules } from "../runtime/routes.js";
import { startTestGateway, type TestGateway } from "../test-support/gateway.js";
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
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
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
      if (!status.startsWith("2")) continue;
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
                ].includes(n),
            ),
          label,
        ).toEqual([]);
        continue;
      }
      lists += 1;
      expect(current.map(([n]) => n).sort(), label).toEqual(["items", "nextCursor"]);
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
