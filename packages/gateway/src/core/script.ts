import { createHash } from "node:crypto";
import type { RedisClient } from "./redis.js";

/**
 * A Lua script run by SHA (EVALSHA), loaded on first use or after a Redis
 * restart (NOSCRIPT). Keeps atomic read-modify-writes in Redis, where they belong,
 * without changing the shared client with `defineCommand`.
 */
export class Script {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
