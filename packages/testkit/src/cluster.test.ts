import { Cluster } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { RedisCluster } from "./cluster.js";

async function answers(cluster: RedisCluster): Promise<boolean[]> {
  return Promise.all(
    cluster.nodes.map(async (node) => {
      const client = cluster.nodeClient(node);
      client.on("error", () => {});
      try {
        return (await client.ping()) === "PONG";
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    }),
  );
}

describe.each(["redis-cli", "commands"] as const)("RedisCluster formed with %s", (formWith) => {
  let cluster: RedisCluster | undefined;
  afterAll(async () => cluster?.destroy());

  it("serves every slot across its masters, refuses cross-slot commands, loses one node to kill, and is gone after destroy", async () => {
    cluster = await RedisCluster.start({ masters: 3, formWith });
    expect(cluster.nodes).toHaveLength(3);
    expect(new Set(cluster.nodes.map((n) => n.port)).size).toBe(3);
    expect(cluster.nodes.map((n) => n.port)).not.toContain(6379);
    expect(cluster.url).toBe(`redis+cluster://${cluster.nodes.map((n) => `127.0.0.1:${n.port}`).join(",")}`);

    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 0 } });
    try {
      const shards = (await client.call("CLUSTER", "SHARDS")) as unknown[];
      expect(shards).toHaveLength(3);
      // Keys spread over many slots, so every master holds some.
      const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
      for (const key of keys) await client.set(key, key);
      const perNode = await Promise.all(client.nodes("master").map((n) => n.dbsize()));
      expect(perNode.every((n) => n > 0)).toBe(true);
      expect(perNode.reduce((a, b) => a + b, 0)).toBe(keys.length);
      // A real cluster: keys of different slots in one command are refused; a shared hash tag is fine.
      await expect(client.call("MGET", "k1", "k2")).rejects.toThrow(/CROSSSLOT|same slot/);
      await client.mset("{t}a", "1", "{t}b", "2");
      expect(await client.mget("{t}a", "{t}b")).toEqual(["1", "2"]);
    } finally {
      client.disconnect();
    }

    const holder = await cluster.nodeFor("{t}a");
    await cluster.kill(holder);
    expect(await answers(cluster)).toEqual(cluster.nodes.map((n) => n.port !== holder.port));

    await cluster.destroy();
    expect(await answers(cluster)).toEqual([false, false, false]);
  });
});
