import { describe, expect, it } from "vitest";
import { GatewayError, isRedisUnavailable, UnavailableError, withRedis } from "./errors.js";

function replyError(message: string): Error {
  const error = new Error(message);
  error.name = "ReplyError";
  return error;
}

describe("withRedis", () => {
  it("turns Redis being out of reach into a 503 with Retry-After", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    const error = await withRedis(() => Promise.reject(refused), "nothing was stored").catch((e) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error.status).toBe(503);
    expect(error.message).toBe("nothing was stored");
    expect(error.headers["Retry-After"]).toBeDefined();
  });

  it("counts a cluster without a master, a loading replica and a full memory as unavailable", () => {
    for (const message of [
      "CLUSTERDOWN The cluster is down",
      "TRYAGAIN Multiple keys request during rehashing of slot",
      "LOADING Redis is loading the dataset in memory",
      "OOM command not allowed when used memory > 'maxmemory'.",
    ]) {
      expect(isRedisUnavailable(replyError(message)), message).toBe(true);
    }
    expect(isRedisUnavailable(replyError("ERR wrong number of arguments for 'hget' command"))).toBe(false);
  });

  it("lets a programming error through unchanged, so it answers 500 with its stack logged", async () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    await expect(withRedis(() => Promise.reject(bug))).rejects.toBe(bug);
    const parse = await withRedis(async () => JSON.parse("{not json")).catch((e) => e);
    expect(parse).toBeInstanceOf(SyntaxError);
  });

  it("passes the gateway's own errors through", async () => {
    const conflict = new GatewayError("conflict", "taken");
    await expect(withRedis(() => Promise.reject(conflict))).rejects.toBe(conflict);
  });
});
