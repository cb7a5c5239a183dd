import { describe, expect, it } from "vitest";
import { fixtures } from "../fixtures/index.js";
import { batchRequestSchema, signalSchema } from "../signals/index.js";
import {
  problemKindList,
  problemKindOf,
  problemKinds,
  problemSchema,
  problemTypeOf,
  toJsonPointer,
  validationErrors,
} from "./index.js";

describe("toJsonPointer", () => {
  it("joins path segments per RFC 6901", () => {
    expect(toJsonPointer([])).toBe("");
    expect(toJsonPointer(["signals", 3, "data", "regionCode"])).toBe("/signals/3/data/regionCode");
  });

  it("escapes ~ before / so the pointer decodes back to the same keys", () => {
    expect(toJsonPointer(["a/b", "m~n", "~1"])).toBe("/a~1b/m~0n/~01");
    expect(toJsonPointer([""])).toBe("/");
  });
});

describe("validationErrors", () => {
  const valid = fixtures.signals.valid["membership.declared"][0]!;

  it("points into a batch the same way the gateway reports it", () => {
    const bad = structuredClone(valid) as { data: { regionCode: string } };
    bad.data.regionCode = "991234";
    const result = batchRequestSchema.safeParse({ signals: [valid, valid, valid, bad] });
    expect(validationErrors(result.error!).map((e) => e.pointer)).toEqual(["/signals/3/data/regionCode"]);
  });

  it("prefixes paths when one signal of a batch is validated alone", () => {
    const result = signalSchema.safeParse({ ...valid, extra: true });
    expect(validationErrors(result.error!, "/signals/7")).toEqual([
      { pointer: "/signals/7/extra", detail: expect.stringContaining("unknown field") },
    ]);
  });

  it("never echoes the offending value", () => {
    const secretPhone = "+1-555-0100-SECRET";
    const secretName = "X".repeat(80);
    const bad = structuredClone(valid) as {
      data: { contact: { name: string; phone: string }; regionCode: unknown };
    };
    bad.data.contact = { name: secretName, phone: secretPhone };
    bad.data.regionCode = "SECRET-REGION";
    const errors = validationErrors(signalSchema.safeParse(bad).error!);
    expect(errors.map((e) => e.pointer).sort()).toEqual(
      ["/data/contact/name", "/data/contact/phone", "/data/regionCode"].sort(),
    );
    const text = JSON.stringify(errors);
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("XXXXXXXX");
  });

  it("does not echo unknown enum values or discriminators either", () => {
    const errors = validationErrors(signalSchema.safeParse({ ...valid, type: "SECRET.type" }).error!);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.pointer).toBe("/type");
    expect(errors[0]!.detail).toContain('"worker.onboarded"');
    expect(JSON.stringify(errors)).not.toContain("SECRET");
  });
});

describe("problem kinds", () => {
  it("give each kind one type URI on the gateway, which reads back as the kind", () => {
    for (const kind of problemKindList) {
      expect(problemTypeOf(kind)).toBe(`/problems/${kind}`);
      expect(problemKindOf(problemTypeOf(kind))).toBe(kind);
      expect(problemKindOf(`https://gateway.example${problemTypeOf(kind)}`)).toBe(kind);
    }
    // Bodies from before the one spelling still read as their kind.
    expect(problemKindOf("https://gigbridge.dev/problems/illegal-transition")).toBe("illegal_transition");
    expect(problemKindOf("/problems/no-such-kind")).toBeUndefined();
    expect(problemKindOf(undefined)).toBeUndefined();
  });

  it("refuse a problem body whose type is not a known kind", () => {
    const body = { type: "/problems/validation", title: "t", status: 422, detail: "d" };
    expect(problemSchema.parse(body)).toEqual(body);
    expect(problemSchema.safeParse({ ...body, type: "about:blank" }).success).toBe(false);
  });

  it("tell statuses apart where two kinds share one, so clients can choose by kind", () => {
    const byStatus = new Map<number, string[]>();
    for (const kind of problemKindList) {
      byStatus.set(problemKinds[kind].status, [...(byStatus.get(problemKinds[kind].status) ?? []), kind]);
    }
    expect(byStatus.get(409)).toEqual(["conflict", "illegal_transition"]);
    expect(byStatus.get(413)).toEqual(["payload_too_large", "batch_too_large"]);
  });
});
