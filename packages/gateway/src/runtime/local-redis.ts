import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export class RedisNotInstalledError extends Error {
  override name = "RedisNotInstalledError";
  constructor() {
    super(
      "redis-server was not found: install Redis (e.g. `sudo apt-get install redis-server` or `brew install redis`) or set REDIS_URL to a running Redis.",
    );
  }
}

export interface LocalRedis {
  url: string;
  /** Called with one line each time the supervisor restarts redis-server. */
  onRestart: (line: string) => void;
  /** Settles with an error when redis-server exited and could not be restarted; never settles otherwise. */
  readonly gaveUp: Promise<Error>;
  stop(): Promise<void>;
}

export interface SupervisorOptions {
  /** At most this many restarts within `windowMs`; one more and the supervisor gives up. */
  maxRestarts?: number;
  windowMs?: number;
  /** First delay before a restart, doubled each time within the window (capped at 5 s). */
  backoffMs?: number;
}

/**
 * Starts a private redis-server for `gigbridge start` when no REDIS_URL is
 * given: a free port (6379 may belong to another Redis), append-only
 * persistence in `dir`, stopped with the gateway. It is supervised: if it
 * exits unexpectedly it is started again on the same port with the same data
 * directory, after a backoff, at most `maxRestarts` times a minute; past that
 * `gaveUp` settles, and the caller stops, since a gateway without its store
 * must not run on.
 */
export async function startLocalRedis(dir: string, options: SupervisorOptions = {}): Promise<LocalRedis> {
  if (spawnSync("redis-server", ["--version"], { stdio: "ignore" }).error) throw new RedisNotInstalledError();
  mkdirSync(dir, { recursive: true });
  const { maxRestarts = 5, windowMs = 60_000, backoffMs = 200 } = options;
  const port = await freePort();
  let child = spawnRedis(port, dir);
  await waitUntilAnswering(port, child);
  let stopping = false;
  const restarts: number[] = [];
  let giveUp: (error: Error) => void = () => {};
  const local: LocalRedis = {
    url: `redis://127.0.0.1:${port}`,
    onRestart: () => {},
    gaveUp: new Promise<Error>((resolve) => {
      giveUp = resolve;
    }),
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
  const supervise = (running: ChildProcess) =>
    running.once("exit", (code, signal) => {
      if (!stopping) void restart(signal ?? `code ${code}`);
    });
  const restart = async (how: string): Promise<void> => {
    for (;;) {
      const now = Date.now();
      while (restarts.length > 0 && (restarts[0] as number) <= now - windowMs) restarts.shift();
      if (restarts.length >= maxRestarts) {
        giveUp(
          new Error(
            `redis-server (port ${port}, data in ${dir}) exited (${how}) and was restarted ${restarts.length} times within ${windowMs / 1000} s; giving up`,
          ),
        );
        return;
      }
      restarts.push(now);
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(backoffMs * 2 ** (restarts.length - 1), 5_000)),
      );
      if (stopping) return;
      child = spawnRedis(port, dir);
      try {
        await waitUntilAnswering(port, child);
      } catch (error) {
        how = (error as Error).message;
        continue;
      }
      if (stopping) return;
      supervise(child);
      local.onRestart(
        `redis-server exited (${how}); restarted it on port ${port} with its data in ${dir} (restart ${restarts.length} of at most ${maxRestarts} a minute)`,
      );
      return;
    }
  };
  supervise(child);
  return local;
}

function spawnRedis(port: number, dir: string): ChildProcess {
  return spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--appendonly",
      "yes",
      "--save",
      "",
      "--loglevel",
      "warning",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
}

async function waitUntilAnswering(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const probe = new Redis(port, "127.0.0.1", {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      // Something else may hold the port (then redis-server exits): never wait on it for an answer.
      connectTimeout: 500,
      commandTimeout: 500,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      if ((await probe.ping()) === "PONG") return;
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGKILL");
  throw new Error("redis-server did not answer within 10 seconds");
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
