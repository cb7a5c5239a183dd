import { afterAll, describe, expect, it } from "vitest";
import { RedisServer } from "./redis.js";

describe("RedisServer", () => {
  let server: RedisServer;
  afterAll(async () => server?.destroy());

  it("starts on a free port other than 6379 and answers", async () => {
    server = await RedisServer.start();
    expect(server.port).not.toBe(6379);
    const client = server.client();
    expect(await client.ping()).toBe("PONG");
    client.disconnect();
  });

  it("keeps data across SIGKILL and restart through the append-only file", async () => {
    const client = server.client();
    await client.set("kept", "yes");
    client.disconnect();

    await server.kill();
    expect(server.running).toBe(false);
    await server.restart();

    const again = server.client();
    expect(await again.get("kept")).toBe("yes");
    again.disconnect();
  });
});
