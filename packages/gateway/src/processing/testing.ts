import { randomBytes } from "node:crypto";
import { type GatewayConfigInput, gatewayConfigSchema } from "@gigbridge/schemas";
import { RedisServer, waitFor } from "@gigbridge/testkit";
import { createGateway, type Gateway } from "../core/context.js";
import { createLogger } from "../core/logger.js";
import type { OutboundEvent } from "../delivery/outbox.js";
import { testOrgs } from "../rules/testing.js";
import type { EmitEvent } from "../tasks/events.js";

// Test support for the processing and task stages: a real Gateway on a real redis-server.

export interface StageHarness {
  redis: RedisServer;
  gw: Gateway;
  /** Every event emitted, in order, repeats included. */
  emitted: OutboundEvent[];
  /** The events as the outbox would send them: the first of each event id. */
  sent(): OutboundEvent[];
  emit: EmitEvent;
  /** A controllable clock (ms), unless the harness runs on real time (`realClock`). */
  clock: { now: number };
  close(): Promise<void>;
}

export function stageConfig(overrides: Partial<GatewayConfigInput> = {}): GatewayConfigInput {
  return {
    platforms: [
      { id: "fastmeal", name: "Fastmeal" },
      { id: "quickride", name: "Quickride" },
    ],
    orgs: testOrgs,
    ...overrides,
  };
}

export async function startStageHarness(
  options: { redis?: RedisServer; config?: Partial<GatewayConfigInput>; realClock?: boolean } = {},
): Promise<StageHarness> {
  const redis = options.redis ?? (await RedisServer.start({ appendOnly: false }));
  const clock = { now: Date.UTC(2024, 5, 10) };
  const gw = await createGateway({
    config: gatewayConfigSchema.parse(stageConfig(options.config)),
    redisUrl: redis.url,
    masterKey: randomBytes(32),
    logger: createLogger({ level: process.env.LOG_LEVEL ?? "silent" }),
    now: options.realClock ? Date.now : () => clock.now,
  });
  await waitFor(() => gw.redis.status === "ready", {
    timeoutMs: 5000,
    description: "the gateway's Redis connection",
  });
  const emitted: OutboundEvent[] = [];
  return {
    redis,
    gw,
    emitted,
    clock,
    emit: async (event) => {
      emitted.push(structuredClone(event));
    },
    sent: () => {
      const seen = new Set<string>();
      return emitted.filter((event) => !seen.has(event.eventId) && seen.add(event.eventId) !== undefined);
    },
    async close() {
      await gw.close();
      if (!options.redis) await redis.destroy();
    },
  };
}
