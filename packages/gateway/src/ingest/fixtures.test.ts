import { fixtures } from "@gigbridge/schemas";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";

/** The gateway judges every schema fixture exactly as the schemas package says, with the same pointers. */
describe("schema fixtures through the gateway", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({
      workers: false,
      config: { ingest: { rateLimit: { perSecond: 10_000, burst: 10_000 } } },
    });
  });
  afterAll(async () => t?.close());

  it.each(fixtures.signals.invalid.map((f) => [f.name, f] as const))(
    "refuses %s at its pointer",
    async (_name, fixture) => {
      const res = await t.call("POST", "/v1/signals", { key: testKeys.platform, body: fixture.signal });
      expect(res.status).toBe(422);
      const problem = (await res.json()) as { errors: { pointer: string; detail: string }[] };
      expect(problem.errors.map((e) => e.pointer)).toContain(fixture.pointer);
      if (fixture.detail) expect(problem.errors.map((e) => e.detail).join(" | ")).toContain(fixture.detail);
    },
  );

  it("refuses each invalid fixture inside a batch at /signals/<index><pointer>", async () => {
    const valid = Object.values(fixtures.signals.valid).flat();
    const bad = fixtures.signals.invalid[0];
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: { signals: [...valid.slice(0, 2), bad?.signal] },
    });
    expect(res.status).toBe(422);
    const problem = (await res.json()) as { errors: { pointer: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toContain(`/signals/2${bad?.pointer}`);
  });

  it("accepts every valid fixture", async () => {
    const valid = Object.values(fixtures.signals.valid).flat();
    const res = await t.call("POST", "/v1/signals/batch", {
      key: testKeys.platform,
      body: { signals: valid },
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: string[]; duplicates: string[] };
    expect(body.accepted.length + body.duplicates.length).toBe(valid.length);
  });
});
