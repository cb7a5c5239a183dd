import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { hashKey } from "../core/credentials.js";
import { subjectIdOf } from "../core/master-key.js";
import { createApp } from "../http/app.js";
import { makeSignal, testOrgs } from "../rules/testing.js";
import { processSignal } from "./process.js";
import { memberRoutes, pointsLedgerSchema } from "./routes.js";
import { type StageHarness, startStageHarness } from "./testing.js";

const keyOf = (orgId: string) => `gb_ok_test_${orgId.replaceAll("-", "_")}_000000000000`;

let h: StageHarness;
let app: ReturnType<typeof createApp>;
beforeAll(async () => {
  h = await startStageHarness({
    config: { orgs: testOrgs.map((o) => ({ ...o, keyHashes: [hashKey(keyOf(o.id))] })) },
  });
  app = createApp(h.gw, { routes: [memberRoutes] });
});
afterAll(async () => h?.close());
beforeEach(async () => {
  await h.gw.redis.flushall();
  h.emitted.length = 0;
});

function call(org: string, method: string, path: string, body?: unknown) {
  return app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${keyOf(org)}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

describe("GET /v1/members/{subjectId}/points", () => {
  it("shows a member's ledger to the member's org and the orgs above it", async () => {
    const job = (signal: ReturnType<typeof makeSignal>) =>
      processSignal(h.gw, { platformId: "quickride", signal, receivedAt: h.clock.now }, { emit: h.emit });
    await job(makeSignal("membership.declared", { regionCode: "110105001", stationId: undefined }));
    await job(
      makeSignal("activity.completed", { kind: "org_life", hours: 2, activityId: "act_1" }, { id: "a1" }),
    );
    await job(
      makeSignal("activity.completed", { kind: "study", hours: 1.5, activityId: "act_2" }, { id: "a2" }),
    );
    const subjectId = subjectIdOf(h.gw.masterKey, "quickride", "w_100001");

    const response = await call("chaoyang-district", "GET", `/v1/members/${subjectId}/points`);
    expect(response.status).toBe(200);
    const ledger = pointsLedgerSchema.parse(await response.json());
    expect(ledger).toMatchObject({ subjectId, orgId: "chaoyang-street", balance: 5.5, total: 2 });
    expect(ledger.entries.map((e) => [e.activityId, e.points, e.balance])).toEqual([
      ["act_2", 1.5, 5.5],
      ["act_1", 4, 4],
    ]);
    expect((await call("chaoyang-street", "GET", `/v1/members/${subjectId}/points?limit=1`)).status).toBe(
      200,
    );
    expect((await call("pudong-district", "GET", `/v1/members/${subjectId}/points`)).status).toBe(404);
    expect((await call("chaoyang-street", "GET", "/v1/members/sub_unknown/points")).status).toBe(404);
  });
});

describe("the OpenAPI document", () => {
  it("lists the points route", async () => {
    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain("/v1/members/{subjectId}/points");
  });
});
