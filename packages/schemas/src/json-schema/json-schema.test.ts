import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { eventTypes } from "../events/index.js";
import { fixtures } from "../fixtures/index.js";
import { signalTypes } from "../signals/index.js";
import { type JsonSchema, jsonSchemas } from "./index.js";

// ajv-formats is CommonJS; under NodeNext the plugin is the `default` property of the imported module.
const addFormats = addFormatsModule.default;

const schemas = jsonSchemas();
const warnings: unknown[] = [];
const ajv = new Ajv2020({
  strict: true,
  allErrors: true,
  logger: { log: () => {}, warn: (...args: unknown[]) => warnings.push(args), error: () => {} },
});
addFormats(ajv);
const validators = Object.fromEntries(
  Object.entries(schemas).map(([name, schema]) => [name, ajv.compile(schema)]),
);
const validate = (name: string, value: unknown) => {
  const validator = validators[name];
  if (!validator) throw new Error(`no JSON Schema named ${name}`);
  return validator(value) ? [] : (validator.errors ?? []);
};

describe("exported JSON Schema", () => {
  it("has one document per signal and event type plus the unions, task, batch and config", () => {
    expect(Object.keys(schemas).sort()).toEqual(
      [...signalTypes, ...eventTypes, "signal", "event", "task", "batch-request", "gateway-config"].sort(),
    );
    for (const schema of Object.values(schemas)) {
      expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    }
  });

  it("compiles under ajv's strict mode without warnings", () => {
    expect(warnings).toEqual([]);
  });

  it("describes every property of every document", () => {
    // A property is described on itself or on the definition its $ref names. `if`/`then`/`else`/`not`
    // restate properties as conditions (consent needed for a status), not as new fields: they are skipped.
    const undescribed: string[] = [];
    const resolve = (root: JsonSchema, schema: JsonSchema): JsonSchema => {
      let at = schema;
      while (typeof at.$ref === "string" && at.description === undefined) {
        const path = at.$ref.replace(/^#\//, "").split("/");
        at = path.reduce<JsonSchema>((node, key) => node[key] as JsonSchema, root);
      }
      return at;
    };
    const walk = (root: JsonSchema, node: unknown, at: string): void => {
      if (node === null || typeof node !== "object") return;
      if (Array.isArray(node)) {
        node.forEach((item, i) => {
          walk(root, item, `${at}/${i}`);
        });
        return;
      }
      const schema = node as JsonSchema;
      for (const [name, property] of Object.entries(
        (schema.properties ?? {}) as Record<string, JsonSchema>,
      )) {
        if (typeof resolve(root, property).description !== "string")
          undescribed.push(`${at}/properties/${name}`);
      }
      for (const [key, child] of Object.entries(schema)) {
        if (!["if", "then", "else", "not"].includes(key)) walk(root, child, `${at}/${key}`);
      }
    };
    for (const [name, schema] of Object.entries(schemas)) walk(schema, schema, name);
    expect(undescribed).toEqual([]);
  });

  it("carries descriptions with Chinese terms", () => {
    const text = JSON.stringify(schemas["membership.declared"]);
    expect(text).toContain("预备党员");
    expect(text).toContain("Probationary Party member");
  });

  for (const type of signalTypes) {
    it(`accepts every valid ${type} fixture, in its own schema and in the union`, () => {
      for (const signal of fixtures.signals.valid[type]) {
        expect(validate(type, signal), signal.id).toEqual([]);
        expect(validate("signal", signal), signal.id).toEqual([]);
      }
      expect(validate("batch-request", { signals: fixtures.signals.valid[type] })).toEqual([]);
    });
  }

  it.each(fixtures.signals.invalid.map((f) => [f.name, f] as const))(
    "treats invalid signal %s as zod does",
    (_, f) => {
      const errors = validate("signal", f.signal);
      if (f.jsonSchemaGap) {
        // A documented gap: JSON Schema cannot express this rule. Assert it so the gap cannot widen unnoticed.
        expect(errors, f.jsonSchemaGap).toEqual([]);
      } else {
        expect(errors, f.reason).not.toEqual([]);
      }
    },
  );

  it.each(
    Object.values(fixtures.tasks.invalid)
      .flat()
      .map((f) => [f.name, f] as const),
  )("rejects invalid task %s, as zod does", (_, f) => {
    expect(validate("task", f.task), f.reason).not.toEqual([]);
  });

  for (const type of eventTypes) {
    it(`accepts every valid ${type} fixture`, () => {
      for (const event of fixtures.events.valid[type]) {
        expect(validate(type, event)).toEqual([]);
        expect(validate("event", event)).toEqual([]);
      }
    });
  }

  it.each(fixtures.events.invalid.map((f) => [f.name, f] as const))(
    "treats invalid event %s as zod does",
    (_, f) => {
      const errors = validate("event", f.event);
      if (f.jsonSchemaGap) expect(errors, f.jsonSchemaGap).toEqual([]);
      else expect(errors, f.reason).not.toEqual([]);
    },
  );

  it("reports the failing field as an instance path like zod's pointer", () => {
    const wrongRegion = fixtures.signals.invalid.find((f) => f.name === "region code with unknown province")!;
    expect(validate("worker.onboarded", wrongRegion.signal).map((e) => e.instancePath)).toContain(
      wrongRegion.pointer,
    );
  });

  it("accepts a configuration file with durations as strings", () => {
    const config = {
      platforms: [{ id: "fastmeal", name: "FastMeal", keyHashes: [`sha256:${"a".repeat(64)}`] }],
      orgs: [
        { id: "root", code: "1", name: "Root", kind: "district_committee", parent: null, regions: ["1101"] },
      ],
      deadlines: { follow_up_appeal_urgent: "12h" },
      retry: { schedule: [0, "5s", "5m"] },
    };
    expect(validate("gateway-config", config)).toEqual([]);
    expect(validate("gateway-config", { ...config, retry: { schedule: ["5 minutes"] } })).not.toEqual([]);
  });
});
