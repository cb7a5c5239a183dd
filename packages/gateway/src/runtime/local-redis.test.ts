import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "@gigbridge/testkit";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalRedis } from "./local-redis.js";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function pidOf(url: string): Promise<number> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  const pid = Number((await client.info("server")).match(/process_id:(\d+)/)?.[1]);
  client.disconnect();
  return pid;
}

const gone = (pid: number) => {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
};

describe("the supervised local redis-server", () => {
  it("gives up, with a reason, when redis-server cannot be started again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gigbridge-local-redis-"));
    dirs.push(dir);
    const local = await startLocalRedis(dir, { maxRestarts: 2, backoffMs: 300 });
    const port = Number(new URL(local.url).port);
    const restarts: string[] = [];
    local.onRestart = (line) => restarts.push(line);
    const pid = await pidOf(local.url);
    process.kill(pid, "SIGKILL");
    await waitFor(() => gone(pid), { description: "redis-server gone" });
    // Something else takes the port before the restart: redis-server cannot listen there again.
    const squatter = createServer();
    await new Promise<void>((done) => squatter.listen(port, "127.0.0.1", done));
    try {
      const error = await Promise.race([
        local.gaveUp,
        new Promise<Error>((_, reject) => setTimeout(() => reject(new Error("did not give up")), 15_000)),
      ]);
      expect(error.message).toMatch(/exited .* restarted 2 times within 60 s; giving up/);
      expect(restarts).toEqual([]);
    } finally {
      squatter.close();
      await local.stop();
    }
  });
});
