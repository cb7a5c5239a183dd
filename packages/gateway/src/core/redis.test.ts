import { Cluster, Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { commandConnection, parseClusterUrl, workerConnection } from "./redis.js";

describe("REDIS_URL", () => {
  it("names a cluster by its nodes, with credentials and TLS, and anything else is one Redis", () => {
    expect(parseClusterUrl("redis+cluster://10.0.0.1:7000,10.0.0.2:7001,[::1]:7002")).toEqual({
      nodes: [
        { host: "10.0.0.1", port: 7000 },
        { host: "10.0.0.2", port: 7001 },
        { host: "::1", port: 7002 },
      ],
      tls: false,
    });
    expect(parseClusterUrl("rediss+cluster://gb:s%40cret@redis-a,redis-b:7001/")).toEqual({
      nodes: [
        { host: "redis-a", port: 6379 },
        { host: "redis-b", port: 7001 },
      ],
      username: "gb",
      password: "s@cret",
      tls: true,
    });
    expect(parseClusterUrl("redis+cluster://:pw@h:1")).toMatchObject({ password: "pw" });
    expect(parseClusterUrl("redis://127.0.0.1:6379")).toBeUndefined();
    expect(parseClusterUrl("rediss://:pw@redis:6380")).toBeUndefined();
    expect(() => parseClusterUrl("redis+cluster://a:1,,b:2")).toThrow(/host\[:port\]/);
  });

  it("gives a Cluster client for a cluster URL with the fail-fast or blocking settings, and a Redis otherwise", () => {
    const command = commandConnection("redis+cluster://127.0.0.1:7000", "c");
    const worker = workerConnection("redis+cluster://127.0.0.1:7000", "w");
    const single = commandConnection("redis://127.0.0.1:6390", "s");
    try {
      expect(command).toBeInstanceOf(Cluster);
      expect(worker).toBeInstanceOf(Cluster);
      expect(single).toBeInstanceOf(Redis);
      expect((command as Cluster).options).toMatchObject({
        enableOfflineQueue: false,
        lazyConnect: true,
        redisOptions: { maxRetriesPerRequest: 0, commandTimeout: 1500, connectTimeout: 1500 },
      });
      expect((worker as Cluster).options).toMatchObject({
        enableAutoPipelining: false,
        redisOptions: { maxRetriesPerRequest: null },
      });
      expect(command.status).toBe("wait");
    } finally {
      for (const client of [command, worker, single]) client.disconnect();
    }
  });
});
