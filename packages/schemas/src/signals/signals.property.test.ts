// biome-ignore-all lint/suspicious/noExplicitAny: this file walks zod's internal definitions and mutates arbitrary JSON
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { validationErrors } from "../problem/index.js";
import { requiredScopes, type SignalType, signalSchema, signalSchemas, signalTypes } from "./index.js";

// Property tests over signals generated from the schemas' own constraints: the generator reads each zod schema
// (shapes, enums, literals, optional keys, regex patterns, lengths, numeric bounds, multipleOf, uniqueItems)
// rather than restating them, so a constraint added to a schema is exercised here without touching this file.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type AnySchema = z.core.$ZodType;
interface CheckDef {
  check: string;
  format?: string;
  pattern?: RegExp;
  value?: number;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
}

const defOf = (schema: AnySchema) => schema._zod.def as unknown as Record<string, any>;
const checksOf = (schema: AnySchema): CheckDef[] =>
  ((defOf(schema).checks ?? []) as AnySchema[]).map((c) => c._zod.def as unknown as CheckDef);
const metaOf = (schema: AnySchema): Record<string, unknown> =>
  (schema as unknown as { meta(): Record<string, unknown> | undefined }).meta() ?? {};

function stringArbitrary(schema: AnySchema): fc.Arbitrary<string> {
  const def = defOf(schema);
  const checks = checksOf(schema);
  const patterns = checks.flatMap((c) => (c.check === "string_format" && c.pattern ? [c.pattern] : []));
  if (def.pattern instanceof RegExp) patterns.push(def.pattern); // formats such as iso datetime
  const max = checks.find((c) => c.check === "max_length")?.maximum;
  const min = checks.find((c) => c.check === "min_length")?.minimum ?? 0;
  const anchored = patterns.find((p) => p.source.startsWith("^") && p.source.endsWith("$"));
  const base = anchored
    ? fc.stringMatching(anchored)
    : // Free text: mostly readable, sometimes any code point (controls, bidi marks, astral), up to the bound.
      fc.oneof(
        fc.string({ unit: "grapheme", minLength: min, maxLength: Math.min(max ?? 64, 64) }),
        fc.string({ unit: "binary", minLength: min, maxLength: Math.min(max ?? 64, 64) }),
        fc.string({ unit: "grapheme-ascii", minLength: max ?? min, maxLength: max ?? min }),
      );
  return base.filter((text) => {
    const length = [...text].length;
    return length >= min && (max === undefined || length <= max) && patterns.every((p) => p.test(text));
  });
}

function numberArbitrary(schema: AnySchema): fc.Arbitrary<number> {
  let lo = -1e9;
  let hi = 1e9;
  let loIncl = true;
  let hiIncl = true;
  let step: number | undefined;
  let integer = false;
  for (const c of checksOf(schema)) {
    if (c.check === "greater_than") [lo, loIncl] = [c.value!, c.inclusive!];
    if (c.check === "less_than") [hi, hiIncl] = [c.value!, c.inclusive!];
    if (c.check === "multiple_of") step = c.value!;
    if (c.check === "number_format" && (c.format === "safeint" || c.format === "int32")) integer = true;
  }
  if (integer) step ??= 1;
  if (step !== undefined) {
    const s = step;
    let from = Math.ceil(lo / s);
    let to = Math.floor(hi / s);
    if (!loIncl && from * s === lo) from++;
    if (!hiIncl && to * s === hi) to--;
    return fc.integer({ min: from, max: to }).map((k) => k * s);
  }
  return fc.double({ min: lo, max: hi, minExcluded: !loIncl, maxExcluded: !hiIncl, noNaN: true });
}

function arbitraryOf(schema: AnySchema): fc.Arbitrary<Json> {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
      return stringArbitrary(schema);
    case "number":
      return numberArbitrary(schema);
    case "enum":
      return fc.constantFrom(...(Object.values(def.entries) as string[]));
    case "literal":
      return fc.constantFrom(...(def.values as string[]));
    case "array": {
      const checks = checksOf(schema);
      const constraints = {
        minLength: checks.find((c) => c.check === "min_length")?.minimum ?? 0,
        maxLength: checks.find((c) => c.check === "max_length")?.maximum ?? 5,
      };
      const element = arbitraryOf(def.element);
      return metaOf(schema).uniqueItems
        ? fc.uniqueArray(element, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(element, constraints);
    }
    case "object": {
      const shape = def.shape as Record<string, AnySchema>;
      const required = Object.keys(shape).filter((k) => defOf(shape[k]!).type !== "optional");
      const fields = Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, arbitraryOf(v)]));
      return fc.record(fields, { requiredKeys: required }) as fc.Arbitrary<Json>;
    }
    case "optional":
      return arbitraryOf(def.innerType);
    case "union":
      return fc.oneof(...(def.options as AnySchema[]).map(arbitraryOf));
    default:
      throw new Error(`no generator for zod type ${def.type}; extend arbitraryOf`);
  }
}

// The object-level rules a generator cannot read from field constraints, stated as the schemas document them.
function meetsDocumentedRules(signal: Json): boolean {
  const data = (signal as { data: Record<string, any> }).data;
  const scopes: string[] = data.consent?.scopes ?? [];
  if (!requiredScopes(data).every((scope) => scopes.includes(scope))) return false;
  const isMember = data.politicalStatus === "member" || data.politicalStatus === "probationary";
  if ((signal as { type: string }).type === "membership.declared" && isMember && !data.homeOrganization)
    return false;
  return true;
}

const signalArbitrary = (type: SignalType) => arbitraryOf(signalSchemas[type]).filter(meetsDocumentedRules);
const anySignal = fc.oneof(...signalTypes.map(signalArbitrary));

type Path = (string | number)[];

/** The schema that validates the value at `path`, walking objects, arrays, optionals and the discriminated union. */
function schemaAt(schema: AnySchema, value: Json, path: Path): AnySchema {
  let current = schema;
  let node: Json = value;
  for (const key of path) {
    for (;;) {
      const def = defOf(current);
      if (def.type === "optional") current = def.innerType;
      else if (def.type === "union") {
        const type = (node as { type: string }).type;
        current = (def.options as AnySchema[]).find((o) => defOf(defOf(o).shape.type).values.includes(type))!;
      } else break;
    }
    const def = defOf(current);
    current = def.type === "array" ? def.element : def.shape[key];
    node = (node as Record<string | number, Json>)[key]!;
  }
  return current;
}

function* nodes(value: Json, path: Path = []): Generator<[Path, Json]> {
  yield [path, value];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* nodes(v, [...path, i]);
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) yield* nodes(v, [...path, k]);
}

interface Mutation {
  describe: string;
  path: Path;
  apply(copy: Json): void;
}

function setAt(root: Json, path: Path, change: (parent: any, key: string | number) => void) {
  let parent: any = root;
  for (const key of path.slice(0, -1)) parent = parent[key];
  change(parent, path[path.length - 1]!);
}

/** Every single-field change that must make a valid signal invalid, with the path it must be reported at. */
function mutations(signal: Json): Mutation[] {
  const out: Mutation[] = [];
  for (const [path, value] of nodes(signal)) {
    const isObject = value !== null && typeof value === "object" && !Array.isArray(value);
    if (isObject) {
      out.push({
        describe: "add an unknown field",
        path: [...path, "zzUnknown"],
        apply: (copy) => setAt(copy, [...path, "zzUnknown"], (p, k) => (p[k] = "x")),
      });
    }
    if (path.length === 0) continue;
    const wrong: Json =
      typeof value === "string" ? 12345 : typeof value === "number" ? "12345" : "not-a-structure";
    out.push({
      describe: "replace with a wrong type",
      path,
      apply: (copy) => setAt(copy, path, (p, k) => (p[k] = wrong)),
    });

    const schema = schemaAt(signalSchema, signal, path);
    const def = defOf(schema);
    const parent = schemaAt(signalSchema, signal, path.slice(0, -1));
    const parentDef = defOf(parent);
    if (typeof path[path.length - 1] === "string" && parentDef.type === "object" && def.type !== "optional") {
      out.push({
        describe: "drop a required field",
        path,
        apply: (copy) => setAt(copy, path, (p, k) => delete p[k]),
      });
    }
    const inner = def.type === "optional" ? defOf(def.innerType) : def;
    const checks = checksOf(def.type === "optional" ? def.innerType : schema);
    let outOfBounds: Json | undefined;
    if (inner.type === "enum" || inner.type === "literal") outOfBounds = "zz_not_a_value";
    if (inner.type === "string") {
      const max = checks.find((c) => c.check === "max_length")?.maximum;
      const anchored =
        checks.some((c) => c.pattern?.source.startsWith("^")) || inner.pattern instanceof RegExp;
      if (max !== undefined) outOfBounds = "a".repeat(max + 1);
      else if (anchored) outOfBounds = "!";
    }
    if (inner.type === "number") {
      const upper = checks.find((c) => c.check === "less_than");
      if (upper) outOfBounds = upper.value! + 1;
    }
    if (outOfBounds !== undefined) {
      const replacement = outOfBounds;
      out.push({
        describe: "replace with a value out of bounds",
        path,
        apply: (copy) => setAt(copy, path, (p, k) => (p[k] = replacement)),
      });
    }
  }
  return out;
}

const pointer = (path: Path) =>
  path.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

describe("signals generated from the schemas' constraints", () => {
  it.each(signalTypes)("%s: generated signals are accepted and round-trip through JSON unchanged", (type) => {
    fc.assert(
      fc.property(signalArbitrary(type), (input) => {
        const parsed = signalSchemas[type].parse(input);
        const wire = JSON.parse(JSON.stringify(parsed));
        expect(wire).toEqual(parsed);
        expect(signalSchema.parse(wire)).toEqual(parsed);
        // Parsing is idempotent: what GigBridge stores parses to itself.
        expect(signalSchema.parse(JSON.parse(JSON.stringify(input)))).toEqual(parsed);
      }),
      { numRuns: 150 },
    );
  });

  it("a single mutation is rejected with a path that points at the mutated field", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(anySignal, fc.nat(), (signal, pick) => {
        const candidates = mutations(signal);
        const mutation = candidates[pick % candidates.length]!;
        seen.add(mutation.describe);
        const copy = structuredClone(signal);
        mutation.apply(copy);
        const result = signalSchema.safeParse(copy);
        expect(result.success, `${mutation.describe} at ${pointer(mutation.path)}`).toBe(false);
        const errors = validationErrors(result.error!);
        expect(
          errors.map((e) => e.pointer),
          `${mutation.describe} at ${pointer(mutation.path)}`,
        ).toContain(pointer(mutation.path));
      }),
      { numRuns: 1000 },
    );
    // The test exercised every kind of mutation, not just the easiest one.
    expect([...seen].sort()).toEqual([
      "add an unknown field",
      "drop a required field",
      "replace with a value out of bounds",
      "replace with a wrong type",
    ]);
  });

  it("removing a needed consent scope is reported at the consent", () => {
    fc.assert(
      fc.property(anySignal, (signal) => {
        const data = (signal as { data: Record<string, any> }).data;
        const needed = requiredScopes(data);
        fc.pre(needed.length > 0);
        const copy = structuredClone(signal) as { data: Record<string, any> };
        copy.data.consent.scopes = copy.data.consent.scopes.filter((s: string) => s !== needed[0]);
        const errors = validationErrors(signalSchema.safeParse(copy).error!);
        expect(
          errors.some((e) => e.pointer.startsWith("/data/consent") && e.detail.includes(needed[0]!)),
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
