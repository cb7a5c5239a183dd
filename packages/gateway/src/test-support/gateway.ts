import { randomBytes } from "node:crypto";
import { type GatewayConfigInput, gatewayConfigSchema } from "@gigbridge/schemas";
import { RedisServer } from "@gigbridge/testkit";
import { hashKey } from "../core/credentials.js";
import { createLogger, type Logger } from "../core/logger.js";
import type { MasterKey } from "../core/master-key.js";
import { type RunningGateway, runGateway } from "../runtime/start.js";

/** Keys of the test tenant set, in the clear (the config holds only their hashes). */
export const testKeys = {
  platform: "gb_pk_test_platform_a_000000000000000000",
  otherPlatform: "gb_pk_test_platform_b_000000000000000000",
  district: "gb_ok_test_district_0000000000000000000",
  streetA: "gb_ok_test_street_a_0000000000000000000",
  streetB: "gb_ok_test_street_b_0000000000000000000",
  viewer: "gb_op_test_viewer_000000000000000000000",
  operator: "gb_op_test_operator_00000000000000000000",
} as const;

/**
 * A small tree: a district (110105) with two streets (110105001, 110105002),
 * two platforms, one viewer and one operator. Tests override what they need.
 */
export function testConfig(overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    platforms: [
      { id: "platform-a", name: "Platform A", keyHashes: [hashKey(testKeys.platform)] },
      { id: "platform-b", name: "Platform B", keyHashes: [hashKey(testKeys.otherPlatform)] },
    ],
    orgs: [
      {
        id: "district",
        code: "T-110105",
        name: "District committee",
        kind: "district_committee",
        parent: null,
        regions: ["110105"],
        keyHashes: [hashKey(testKeys.district)],
      },
      {
        id: "street-a",
        code: "T-110105001",
        name: "Street A",
        kind: "street_committee",
        parent: "district",
        regions: ["110105001"],
        keyHashes: [hashKey(testKeys.streetA)],
      },
      {
        id: "street-b",
        code: "T-110105002",
        name: "Street B",
        kind: "street_committee",
        parent: "district",
        regions: ["110105002"],
        keyHashes: [hashKey(testKeys.streetB)],
      },
    ],
    operators: [
      { name: "viewer", role: "viewer", tokenHash: hashKey(testKeys.viewer) },
      { name: "operator", role: "operator", tokenHash: hashKey(testKeys.operator) },
    ],
    delivery: { allowNetworks: ["loopback"] },
    // No load balancer watches a test gateway's /readyz: stop at once.
    http: { shutdownDelay: 0 },
    ...overrides,
  };
}

/** A real gateway under test, whatever Redis it runs on. */
export interface GatewayUnderTest {
  running: RunningGateway;
  url: string;
  /** fetch against the gateway with a bearer key and JSON body. */
  call(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response>;
  close(): Promise<void>;
}

/** A gateway on a redis-server of its own (or the one given), which tests may kill and restart. */
export interface TestGateway extends GatewayUnderTest {
  redis: RedisServer;
}

export interface TestGatewayOptions {
  config?: Partial<GatewayConfigInput>;
  workers?: boolean;
  now?: () => number;
  /** Where the gateway logs; silent (or `LOG_LEVEL`) by default. */
  logger?: Logger;
  /** How long shutdown waits for each queue worker. */
  workerCloseMs?: number;
  /** The master key; a random one by default (give the same one to read another gateway's data). */
  masterKey?: Buffer;
  masterKeyId?: string;
  /** Previous master keys, as during a rotation. */
  previousMasterKeys?: MasterKey[];
}

/** A real gateway (HTTP and, unless turned off, workers) on a free port against its own redis-server. */
export async function startTestGateway(
  options: TestGatewayOptions & { redis?: RedisServer } = {},
): Promise<TestGateway> {
  const redis = options.redis ?? (await RedisServer.start());
  const gateway = await startGatewayOn(redis.url, options);
  return {
    ...gateway,
    redis,
    async close() {
      await gateway.close();
      if (!options.redis) await redis.destroy();
    },
  };
}

/**
 * A real gateway on a free port against the Redis at `redisUrl` (a `redis+cluster://` URL for a
 * cluster), which the caller owns and stops.
 */
export async function startGatewayOn(
  redisUrl: string,
  options: TestGatewayOptions = {},
): Promise<GatewayUnderTest> {
  const running = await runGateway({
    config: gatewayConfigSchema.parse(testConfig(options.config)),
    masterKey: options.masterKey ?? randomBytes(32),
    ...(options.masterKeyId ? { masterKeyId: options.masterKeyId } : {}),
    ...(options.previousMasterKeys ? { previousMasterKeys: options.previousMasterKeys } : {}),
    redisUrl,
    http: true,
    workers: options.workers ?? true,
    port: 0,
    logger: options.logger ?? createLogger({ level: process.env.LOG_LEVEL ?? "silent" }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.workerCloseMs ? { workerCloseMs: options.workerCloseMs } : {}),
  });
  const url = running.server?.url as string;
  return {
    running,
    url,
    call: (method, path, { key, body, headers } = {}) =>
      fetch(url + path, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
      }),
    close: () => running.close(),
  };
}
