import { RedisServer } from "@gigbridge/testkit";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Script } from "../core/script.js";
import { healthLua } from "./health.js";

// KEYS: health hash, disabled set. ARGV: now, endpoint id, disable window (ms).
const failure = new Script(healthLua.failure("KEYS[1]", "KEYS[2]", "ARGV[2]", "ARGV[1]", "ARGV[3]"));
const success = new Script(healthLua.success("KEYS[1]", "ARGV[1]"));
const keys = ["{o:a}:health:ep", "{o:a}:disabled"];

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

const fail = (now: number, window = 1_000) => failure.run(redis, keys, [now, "ep", window]);

describe("endpoint health", () => {
  it("disables an endpoint that has failed without a success for the whole window", async () => {
    expect(await fail(0)).toBe(3);
    expect(await fail(600)).toBe(0);
    expect(await fail(1_000)).toBe(1);
    expect(await fail(1_100)).toBe(2);
    expect(await redis.sismember(keys[1]!, "ep")).toBe(1);
  });

  it("a success ends the run of failures", async () => {
    await fail(0);
    await success.run(redis, keys, [500]);
    expect(await fail(1_200)).toBe(3);
    expect(await redis.hget(keys[0]!, "failingSince")).toBe("1200");
  });

  it("forgets a run of failures twice the window after it began, so one late failure does not disable", async () => {
    // A message gave up at t=0; nothing was sent for a week; the next single failure is a new run.
    expect(await fail(0)).toBe(3);
    expect(await fail(2_000)).toBe(3);
    expect(await redis.hget(keys[0]!, "failingSince")).toBe("2000");
    expect(await fail(2_500)).toBe(0);
    expect(await fail(3_000)).toBe(1);
  });
});
