import type { ChainableCommander } from "ioredis";

/** Runs a MULTI or pipeline and throws the first command error instead of returning it. */
export async function execOrThrow(chain: ChainableCommander): Promise<unknown[]> {
  const results = await chain.exec();
  if (!results) throw new Error("the Redis transaction was aborted");
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
