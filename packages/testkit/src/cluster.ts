import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./ports.js";
import { redisServerBinary } from "./redis.js";
import { waitFor } from "./wait.js";

export interface RedisClusterOptions {
  /** Master nodes, each serving an even share of the 16384 slots. Default 3. */
  masters?: number;
  /**
   * How the slots are assigned: with `redis-cli --cluster create`, or with
   * CLUSTER ADDSLOTSRANGE and MEET from here. Default: redis-cli when installed.
   */
  formWith?: "redis-cli" | "commands";
}

export interface ClusterNode {
  host: string;
  port: number;
}

const SLOTS = 16384;

/**
 * A real Redis Cluster owned by one test file: `masters` `redis-server`
 * processes with cluster mode on, no replicas and no persistence, in a
 * temporary folder. The slots are spread over the nodes with `redis-cli
 * --cluster create`, or with CLUSTER ADDSLOTSRANGE and MEET when `redis-cli` is
 * not installed; `start` returns once every node says `cluster_state:ok`.
 */
export class RedisCluster {
  private constructor(
    readonly dir: string,
    readonly nodes: ClusterNode[],
    private readonly processes: ChildProcess[],
  ) {}

  static async start(options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const masters = options.masters ?? 3;
    if (!Number.isInteger(masters) || masters < 1) throw new Error("masters must be a positive integer");
    const dir = mkdtempSync(join(tmpdir(), "gigbridge-cluster-"));
    const cluster = new RedisCluster(dir, [], []);
    try {
      // Ports one at a time: each is free when asked for, and taken by its server before the next is asked.
      for (let i = 0; i < masters; i++) {
        const port = await freePort();
        await cluster.spawnNode(port);
        cluster.nodes.push({ host: "127.0.0.1", port });
      }
      const formWith = options.formWith ?? (hasRedisCli() ? "redis-cli" : "commands");
      if (formWith === "redis-cli") cluster.createWithCli();
      else await cluster.createByHand();
      await waitFor(() => cluster.healthy(), {
        timeoutMs: 20_000,
        description: "every cluster node to report cluster_state:ok",
      });
    } catch (error) {
      await cluster.destroy();
      throw error;
    }
    return cluster;
  }

  /** `redis+cluster://host:port,host:port`: what the gateway's REDIS_URL takes for a cluster. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `${n.host}:${n.port}`).join(",")}`;
  }

  /** A plain client of one node (no cluster routing), e.g. for CLUSTER INFO; the caller closes it. */
  nodeClient(node: ClusterNode): Redis {
    return new Redis(node.port, node.host, { maxRetriesPerRequest: 0, lazyConnect: false });
  }

  /** The node serving the slot of `key` (hash tags count, as in the cluster itself). */
  async nodeFor(key: string): Promise<ClusterNode> {
    const [first] = this.nodes as [ClusterNode];
    const slot = Number(await ask(first, (r) => r.call("CLUSTER", "KEYSLOT", key)));
    const ranges = (await ask(first, (r) => r.call("CLUSTER", "SLOTS"))) as [
      number,
      number,
      [string, number],
    ][];
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    const node = this.nodes.find((n) => range && n.port === Number(range[2][1]));
    if (!node) throw new Error(`no node serves slot ${slot}`);
    return node;
  }

  /** Kills one node with SIGKILL, as a crash would, and waits until it is gone. Its slots stay unserved. */
  async kill(node: ClusterNode): Promise<void> {
    const child = this.processes[this.nodes.findIndex((n) => n.port === node.port)];
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await gone;
  }

  /** Kills every node and removes the folder. Safe to call twice. */
  async destroy(): Promise<void> {
    await Promise.all(
      this.processes.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGKILL");
        await gone;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async spawnNode(port: number): Promise<void> {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(this.dir, `nodes-${port}.conf`),
      "--cluster-node-timeout",
      "5000",
      "--appendonly",
      "no",
      "--save",
      "",
      "--daemonize",
      "no",
      "--loglevel",
      "warning",
    ];
    const child = spawn(redisServerBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
    this.processes.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      child.once("exit", (code) =>
        reject(new Error(`redis-server on ${port} exited with ${code}: ${stderr.trim()}`)),
      );
    });
    exited.catch(() => {});
    await Promise.race([
      waitFor(() => ask({ host: "127.0.0.1", port }, (r) => r.ping()), {
        timeoutMs: 10_000,
        description: `cluster node on ${port} to answer`,
      }),
      exited,
    ]);
  }

  private createWithCli(): void {
    const result = spawnSync(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...this.nodes.map((n) => `${n.host}:${n.port}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    if (result.status !== 0) {
      throw new Error(`redis-cli --cluster create failed: ${result.stderr || result.stdout}`);
    }
  }

  /** What `redis-cli --cluster create` does, for machines without redis-cli: slots in even ranges, then MEET. */
  private async createByHand(): Promise<void> {
    const [first] = this.nodes as [ClusterNode];
    await Promise.all(
      this.nodes.map((node, i) => {
        const from = Math.floor((i * SLOTS) / this.nodes.length);
        const to = Math.floor(((i + 1) * SLOTS) / this.nodes.length) - 1;
        return ask(node, (r) => r.call("CLUSTER", "ADDSLOTSRANGE", from, to));
      }),
    );
    for (const node of this.nodes.slice(1)) {
      await ask(first, (r) => r.call("CLUSTER", "MEET", node.host, node.port));
    }
  }

  private async healthy(): Promise<boolean> {
    const infos = await Promise.all(
      this.nodes.map((node) => ask(node, (r) => r.call("CLUSTER", "INFO") as Promise<string>)),
    );
    return infos.every(
      (info) =>
        info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${this.nodes.length}\r`),
    );
  }
}

function hasRedisCli(): boolean {
  return !spawnSync("redis-cli", ["--version"], { stdio: "ignore" }).error;
}

/** One command against one node on a short-lived connection that never retries. */
async function ask<T>(node: ClusterNode, command: (redis: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(node.port, node.host, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return await command(client);
  } finally {
    client.disconnect();
  }
}
