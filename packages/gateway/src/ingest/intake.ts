import type { Signal, SignalType } from "@gigbridge/schemas";
import type { Redis } from "ioredis";
import type { Gateway } from "../core/context.js";
import { GatewayError, UnavailableError } from "../core/errors.js";
import { keys } from "../core/keys.js";

/** Job data on the `signals` queue: what processing consumes. */
export interface SignalJob {
  platformId: string;
  signal: Signal;
  /** When the gateway accepted it (ms since the epoch). */
  receivedAt: number;
}

/** BullMQ forbids `:` in custom ids; `%` never occurs in a signal id, so this is one-to-one. */
export function signalJobId(platformId: string, signalId: string): string {
  return `${platformId}|${signalId.replaceAll(":", "%3A")}`;
}

/**
 * One round trip that rate-limits the request and claims each new signal id.
 * KEYS[1] is the platform's token bucket, KEYS[2..] its signal keys (all under
 * the platform's hash tag). A claim is a `pending` marker; an id whose marker
 * is `pending` but older than the stale limit was never queued (its request
 * failed) and may be claimed again. Replies {1, remaining, resetMs, claims...}
 * or {0, retryAfterMs, resetMs} when limited.
 */
const CLAIM = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local stale = tonumber(ARGV[5])

local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(bucket[1]) or burst
local ts = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate / 1000)
if tokens < 1 then
  local wait = math.ceil((1 - tokens) * 1000 / rate)
  return {0, wait, math.ceil((burst - tokens) * 1000 / rate)}
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)

local out = {1, math.floor(tokens), math.ceil((burst - tokens) * 1000 / rate)}
for i = 2, #KEYS do
  local state = redis.call('HMGET', KEYS[i], 'status', 'claimedAt')
  if not state[1] or (state[1] == 'pending' and now - tonumber(state[2]) > stale) then
    redis.call('HSET', KEYS[i], 'status', 'pending', 'type', ARGV[4 + i], 'receivedAt', now, 'claimedAt', now)
    redis.call('PEXPIRE', KEYS[i], window)
    out[#out + 1] = 1
  else
    out[#out + 1] = 0
  end
end
return out
`;

/** Marks claimed signals as queued, unless processing already moved them on. */
const MARK_QUEUED = `
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'status') == 'pending' then
    redis.call('HSET', KEYS[i], 'status', 'queued')
  end
end
return #KEYS
`;

/** Releases claims whose enqueue failed, so the platform's retry is accepted rather than called a duplicate. */
const RELEASE = `
for i = 1, #KEYS do
  if redis.call('HGET', KEYS[i], 'status') == 'pending' then redis.call('DEL', KEYS[i]) end
end
return #KEYS
`;

type IntakeRedis = Redis & {
  gbClaim(...args: (string | number)[]): Promise<number[]>;
  gbMarkQueued(numberOfKeys: number, ...keys: string[]): Promise<number>;
  gbRelease(numberOfKeys: number, ...keys: string[]): Promise<number>;
};

function scripts(redis: Redis): IntakeRedis {
  const r = redis as IntakeRedis;
  if (typeof r.gbClaim !== "function") {
    redis.defineCommand("gbClaim", { lua: CLAIM });
    redis.defineCommand("gbMarkQueued", { lua: MARK_QUEUED });
    redis.defineCommand("gbRelease", { lua: RELEASE });
  }
  return r;
}

export interface IntakeResult {
  accepted: string[];
  duplicates: string[];
  rate: RateState;
}

export interface RateState {
  perSecond: number;
  limit: number;
  remaining: number;
  resetMs: number;
}

/** A claim older than this was never queued: its request failed between claim and enqueue. */
const STALE_CLAIM_MS = 30_000;

/**
 * Accepts signals from one platform: rate limit and idempotency claim in one
 * script, one bulk enqueue for the new ones, one script to mark them queued.
 * Three round trips per request whatever the batch size. Answers only after
 * Redis acknowledged the enqueue; any Redis failure becomes a 503.
 */
export async function intake(gw: Gateway, platformId: string, signals: Signal[]): Promise<IntakeResult> {
  const redis = scripts(gw.redis);
  const { perSecond, burst } = rateLimitOf(gw, platformId);
  const now = gw.now();
  // Within one request the first occurrence of an id counts; later ones are duplicates.
  const unique = [...new Map(signals.map((s) => [s.id, s])).values()];
  const signalKeys = unique.map((s) => keys.signal(platformId, s.id));

  const reply = await guard(() =>
    redis.gbClaim(
      1 + signalKeys.length,
      keys.rate(platformId),
      ...signalKeys,
      now,
      perSecond,
      burst,
      gw.config.ingest.idempotencyWindow,
      STALE_CLAIM_MS,
      ...unique.map((s) => s.type),
    ),
  );
  if (reply[0] === 0) {
    const retryAfter = Math.max(1, Math.ceil((reply[1] ?? 1000) / 1000));
    throw new GatewayError(
      "rate_limited",
      `The rate limit of ${perSecond} requests per second was reached.`,
      {
        headers: {
          "Retry-After": String(retryAfter),
          ...rateHeaders({ perSecond, limit: burst, remaining: 0, resetMs: reply[2] ?? 1000 }),
        },
      },
    );
  }
  const rate: RateState = { perSecond, limit: burst, remaining: reply[1] ?? 0, resetMs: reply[2] ?? 0 };
  const claimed = unique.filter((_, i) => reply[3 + i] === 1);
  const claimedIds = new Set(claimed.map((s) => s.id));

  if (claimed.length > 0) {
    const claimedKeys = claimed.map((s) => keys.signal(platformId, s.id));
    try {
      await gw.queue("signals").addBulk(
        claimed.map((signal) => ({
          name: signal.type,
          data: { platformId, signal, receivedAt: now } satisfies SignalJob,
          opts: {
            jobId: signalJobId(platformId, signal.id),
            attempts: 8,
            backoff: { type: "exponential", delay: 1000 },
            removeOnComplete: { age: 3600, count: 10_000 },
            removeOnFail: false,
          },
        })),
      );
    } catch (error) {
      await redis.gbRelease(claimedKeys.length, ...claimedKeys).catch(() => {});
      throw new UnavailableError(
        "The signal queue is unavailable; nothing was stored. Retry shortly.",
        error,
      );
    }
    // The jobs are stored; if this mark is lost the claim simply stays `pending` and reads as queued.
    await redis.gbMarkQueued(claimedKeys.length, ...claimedKeys).catch((error: unknown) => {
      gw.logger.warn({ err: error }, "could not mark signals queued");
    });
  }

  const accepted: string[] = [];
  const duplicates: string[] = [];
  const seen = new Set<string>();
  for (const signal of signals) {
    const first = !seen.has(signal.id);
    seen.add(signal.id);
    const isNew = first && claimedIds.has(signal.id);
    (isNew ? accepted : duplicates).push(signal.id);
    gw.metrics.signals.inc({
      platform: platformId,
      type: signal.type,
      outcome: isNew ? "accepted" : "duplicate",
    });
  }
  return { accepted, duplicates, rate };
}

/** The platform's own limit, or the gateway default. */
function rateLimitOf(gw: Gateway, platformId: string): { perSecond: number; burst: number } {
  const platform = gw.config.platforms.find((p) => p.id === platformId);
  return platform?.rateLimit ?? gw.config.ingest.rateLimit;
}

/** IETF RateLimit headers (draft-ietf-httpapi-ratelimit-headers), both the structured and the older split form. */
export function rateHeaders(rate: RateState): Record<string, string> {
  const reset = Math.max(0, Math.ceil(rate.resetMs / 1000));
  return {
    "RateLimit-Policy": `"default";q=${rate.limit};w=${Math.max(1, Math.ceil(rate.limit / rate.perSecond))}`,
    RateLimit: `"default";r=${rate.remaining};t=${reset}`,
    "RateLimit-Limit": String(rate.limit),
    "RateLimit-Remaining": String(rate.remaining),
    "RateLimit-Reset": String(reset),
  };
}

/** Runs a Redis call; any failure to reach Redis becomes a 503 with Retry-After. */
async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw new UnavailableError("Redis is unavailable; nothing was stored. Retry shortly.", error);
  }
}

/** What became of a signal, for `GET /v1/signals/{id}`; null when this platform never sent it. */
export async function signalStatus(gw: Gateway, platformId: string, signalId: string) {
  const fields = await guard(() => gw.redis.hgetall(keys.signal(platformId, signalId)));
  if (!fields.status) return null;
  const failed = fields.status === "failed";
  return {
    id: signalId,
    type: fields.type as SignalType,
    status: (fields.status === "pending" ? "queued" : fields.status) as "queued" | "processed" | "failed",
    receivedAt: new Date(Number(fields.receivedAt)).toISOString(),
    ...(fields.processedAt ? { processedAt: new Date(Number(fields.processedAt)).toISOString() } : {}),
    tasks: fields.tasks ? (JSON.parse(fields.tasks) as string[]) : [],
    ...(failed
      ? { failure: { reason: fields.failureReason ?? "unknown", detail: fields.failureDetail ?? "" } }
      : {}),
  };
}
