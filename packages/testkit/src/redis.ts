import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";
import { waitFor } from "./wait.js";

export interface RedisServerOptions {
  /** Keep an append-only file so data survives a kill and restart. Default true. */
  appendOnly?: boolean;
  /** Folder for the data; a fresh temporary one by default. */
  dir?: string;
  /** A fixed port; a free one by default. */
  port?: number;
}

/**
 * A real `redis-server` process owned by one test file: started on a free port
 * (never 6379), with its own data folder, and able to be stopped, killed with
 * SIGKILL and restarted on the same port and data so tests can inject faults.
 */
export class RedisServer {
  readonly dir: string;
  private process: ChildProcess | undefined;
  private ownsDir: boolean;

  private constructor(
    readonly port: number,
    dir: string | undefined,
    private readonly appendOnly: boolean,
  ) {
    this.ownsDir = dir === undefined;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "gigbridge-redis-"));
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(
      options.port ?? (await freePort()),
      options.dir,
      options.appendOnly ?? true,
    );
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Starts the server again on the same port and data folder, and waits until it answers. */
  async restart(): Promise<void> {
    if (this.running) return;
    const args = [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--save",
      "",
      "--appendonly",
      this.appendOnly ? "yes" : "no",
      "--appendfsync",
      "always",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ];
    const child = spawn(redisServerBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
    this.process = child;
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${stderr.trim()}`)));
    });
    exited.catch(() => {});
    await Promise.race([
      waitFor(() => this.ping(), { timeoutMs: 10_000, description: "redis-server to answer" }),
      exited,
    ]);
  }

  /** A new client for this server; the caller closes it. */
  client(): Redis {
    return new Redis(this.port, "127.0.0.1", { maxRetriesPerRequest: null, lazyConnect: false });
  }

  /** Kills the process with SIGKILL, as a crash would, and waits until it is gone. */
  async kill(): Promise<void> {
    await this.signal("SIGKILL");
  }

  /** Stops the process with SIGTERM (Redis then writes its files) and waits until it is gone. */
  async stop(): Promise<void> {
    await this.signal("SIGTERM");
  }

  /** Stops the server and removes its data folder if the harness made it. */
  async destroy(): Promise<void> {
    await this.kill();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || !this.running) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill(signal);
    await gone;
  }

  private async ping(): Promise<boolean> {
    const probe = new Redis(this.port, "127.0.0.1", {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  }
}

/** The `redis-server` binary: `REDIS_SERVER_BIN` or the one on PATH. Throws a clear error when missing. */
export function redisServerBinary(): string {
  const configured = process.env.REDIS_SERVER_BIN;
  if (configured) return configured;
  const found = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  if (found.error) {
    throw new Error(
      "redis-server is not installed: install it (apt-get install redis-server) to run these tests",
    );
  }
  return "redis-server";
}
