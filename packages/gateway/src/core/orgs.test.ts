import { RedisServer } from "@gigbridge/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ConflictError } from "./errors.js";
import { keys } from "./keys.js";
import { type Org, OrgDirectory } from "./orgs.js";

const configured: Org = { id: "district", name: "District", regions: ["110105"] } as Org;
const added: Org = { id: "street", name: "Street", parent: "district", regions: ["110105001"] } as Org;

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.url);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.destroy();
});
beforeEach(async () => {
  await redis.flushall();
});

describe("OrgDirectory.put", () => {
  it("adds a run-time org that every reader sees", async () => {
    await new OrgDirectory([configured], redis).put(added);
    expect((await new OrgDirectory([configured], redis).list()).map((o) => o.id)).toEqual([
      "district",
      "street",
    ]);
  });

  it("refuses to replace a configured org with a 409 conflict, not a 500", async () => {
    const error = await new OrgDirectory([configured], redis)
      .put({ ...configured, name: "x" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.status).toBe(409);
  });

  it("fails when Redis refused part of the transaction instead of reporting the org added", async () => {
    // The tree's version counter holds something INCR cannot count: the MULTI's second command errs.
    await redis.set(keys.orgsVersion, "not a number");
    await expect(new OrgDirectory([configured], redis).put(added)).rejects.toThrow(/not an integer/);
  });
});
