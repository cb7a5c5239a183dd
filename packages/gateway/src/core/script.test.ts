import { RedisServer } from "@gigbridge/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Script } from "./script.js";

describe("Script", () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    redis = server.client();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.destroy();
  });

  const incrBy = new Script("return redis.call('INCRBY', KEYS[1], ARGV[1])");

  it("runs atomically on the keys and arguments it is given, and again after Redis forgets it", async () => {
    expect(await incrBy.run(redis, ["counter"], [2])).toBe(2);
    // A Redis restart or failover empties the script cache: the next run loads the script again.
    await redis.script("FLUSH");
    expect(await incrBy.run(redis, ["counter"], [3])).toBe(5);
    expect(await redis.script("EXISTS", incrBy.sha)).toEqual([1]);
  });

  it("passes on errors other than a missing script", async () => {
    await redis.set("text", "not a number");
    await expect(incrBy.run(redis, ["text"], [1])).rejects.toThrow(/not an integer/);
  });
});
