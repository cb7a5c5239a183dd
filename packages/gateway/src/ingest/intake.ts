import type { Signal, SignalType, WorkerFact } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import { GatewayError, UnavailableError, withRedis } from "../core/errors.js";
import { keys, signalJobId } from "../core/keys.js";
import { subjectIdOf } from "../core/master-key.js";
import type { RedisClient } from "../core/redis.js";
import type { TraceContext } from "../core/tracing.js";
import { workerIdOf } from "../rules/decide.js";

/** Job data on the `signals` queue: what processing consumes. */
export interface SignalJob {
  platformId: string;
  signal: Signal;
  /** When the gateway accepted it (ms since the epoch). */
  receivedAt: number;
  /** The W3C trace context of its intake, handed on to processing and to the webhooks it causes. */
  trace?: TraceContext;
}

// The job id of a signal is a queue key (core/keys.ts); re-exported where ingest's callers look for it.
export { signalJobId };

/**
 * One round trip that rate-limits the request and claims each new signal id.
 * KEYS[1] is the platform's token bucket, KEYS[2..n+1] its signal keys, the last
 * key its index of queued signals by worker (all under the platform's hash tag).
 * ARGV: now, rate, burst, window, stale, charge (1 to take a token, 0 on a
 * re-check), then one type per signal key, then one index entry per signal key
 * (`<subject> <signal id>`, '' for a signal about no worker). A claim is a
 * `pending` marker; one older than the stale limit was never queued (its
 * request failed between claim and enqueue) and may be claimed again.
 * Replies {1, remaining, resetMs, codes...} with a code per signal key:
 * 1 claimed here, 0 already stored (a duplicate), 2 being stored by another
 * request right now; or {0, retryAfterMs, resetMs} when rate-limited.
 */
const CLAIM = `
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local stale = tonumber(ARGV[5])

local out = {1, 0, 0}
if ARGV[6] == '1' then
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
  out = {1, math.floor(tokens), math.ceil((burst - tokens) * 1000 / rate)}
end

local n = #KEYS - 2
for i = 2, n + 1 do
  local state = redis.call('HMGET', KEYS[i], 'status', 'claimedAt')
  if not state[1] or (state[1] == 'pending' and now - tonumber(state[2]) > stale) then
    redis.call('HSET', KEYS[i], 'status', 'pending', 'type', ARGV[5 + i], 'receivedAt', now, 'claimedAt', now)
    redis.call('PEXPIRE', KEYS[i], window)
    local entry = ARGV[5 + i + n]
    if entry ~= '' then redis.call('ZADD', KEYS[#KEYS], 0, entry) end
    out[#out + 1] = 1
  elseif state[1] == 'pending' then
    out[#out + 1] = 2
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

type IntakeRedis = RedisClient & {
  gbClaim(...args: (string | number)[]): Promise<number[]>;
  gbMarkQueued(numberOfKeys: number, ...keys: string[]): Promise<number>;
  gbRelease(numberOfKeys: number, ...keys: string[]): Promise<number>;
};

function scripts(redis: RedisClient): IntakeRedis {
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

/** How long a request waits for another request that is storing the same signal id. */
const IN_FLIGHT_WAIT_MS = 1500;

/**
 * Accepts signals from one platform: rate limit and idempotency claim in one
 * script, one bulk enqueue for the new ones, one script to mark them queued.
 * Three round trips per request whatever the batch size. Answers only after
 * Redis acknowledged the enqueue; any Redis failure becomes a 503.
 *
 * A signal another request is storing at this moment is a duplicate only once
 * that request has stored it: until then this request waits (briefly), and
 * takes the signal over if the other request failed and released it.
 */
export async function intake(
  gw: Gateway,
  platformId: string,
  signals: Signal[],
  trace?: TraceContext,
): Promise<IntakeResult> {
  const redis = scripts(gw.redis);
  const { perSecond, burst } = rateLimitOf(gw, platformId);
  const receivedAt = gw.now();
  // Within one request the first occurrence of an id counts; later ones are duplicates.
  const firsts = new Map<string, Signal>();
  for (const signal of signals) if (!firsts.has(signal.id)) firsts.set(signal.id, signal);

  const accepted = new Set<string>();
  let open = [...firsts.values()];
  let rate: RateState | undefined;
  const deadline = performance.now() + IN_FLIGHT_WAIT_MS;
  for (let round = 0; open.length > 0; round++) {
    if (round > 0) {
      if (performance.now() > deadline) {
        throw new UnavailableError(
          "Another request is still storing a signal with the same id; retry shortly (the retry is safe).",
          undefined,
          1,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** round, 200)));
    }
    const reply = await claim(gw, redis, platformId, open, round === 0, { perSecond, burst });
    rate ??= { perSecond, limit: burst, remaining: reply[1] ?? 0, resetMs: reply[2] ?? 0 };
    const claimed = open.filter((_, i) => reply[3 + i] === 1);
    const inFlight = open.filter((_, i) => reply[3 + i] === 2);
    if (claimed.length > 0) await enqueue(gw, redis, platformId, claimed, { receivedAt, trace });
    for (const signal of claimed) accepted.add(signal.id);
    open = inFlight;
  }

  const result: IntakeResult = { accepted: [], duplicates: [], rate: rate as RateState };
  const seen = new Set<string>();
  // Counted once per type and outcome, not per signal: a batch is mostly one or two types.
  const counts = new Map<string, { type: SignalType; outcome: "accepted" | "duplicate"; n: number }>();
  for (const signal of signals) {
    const isNew = !seen.has(signal.id) && accepted.has(signal.id);
    seen.add(signal.id);
    (isNew ? result.accepted : result.duplicates).push(signal.id);
    const outcome = isNew ? "accepted" : "duplicate";
    const key = `${signal.type} ${outcome}`;
    const count = counts.get(key);
    if (count) count.n += 1;
    else counts.set(key, { type: signal.type, outcome, n: 1 });
  }
  for (const { type, outcome, n } of counts.values()) {
    gw.metrics.signals.inc({ platform: platformId, type, outcome }, n);
  }
  return result;
}

const NOTHING_STORED = "Redis is unavailable; nothing was stored. Retry shortly.";

async function claim(
  gw: Gateway,
  redis: IntakeRedis,
  platformId: string,
  signals: Signal[],
  charge: boolean,
  { perSecond, burst }: { perSecond: number; burst: number },
): Promise<number[]> {
  const reply = await withRedis(
    () =>
      redis.gbClaim(
        2 + signals.length,
        keys.rate(platformId),
        ...signals.map((s) => keys.signal(platformId, s.id)),
        keys.queued(platformId),
        gw.now(),
        perSecond,
        burst,
        gw.config.ingest.idempotencyWindow,
        // A claim older than this was never queued: its request (or process) died between claim and enqueue.
        // Taking it over is safe: job ids are deterministic, so a late enqueue of the first request is a no-op.
        gw.config.recovery.pendingClaim,
        charge ? 1 : 0,
        ...signals.map((s) => s.type),
        ...signals.map((s) => queuedEntry(gw, platformId, s)),
      ),
    NOTHING_STORED,
  );
  if (reply[0] === 0) {
    countSignals(gw, platformId, signals, "rate_limited");
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
  return reply;
}

/** Counts signals by type under one outcome: one `inc` per type, not per signal. */
function countSignals(gw: Gateway, platformId: string, signals: Signal[], outcome: string): void {
  const byType = new Map<SignalType, number>();
  for (const signal of signals) byType.set(signal.type, (byType.get(signal.type) ?? 0) + 1);
  for (const [type, n] of byType) gw.metrics.signals.inc({ platform: platformId, type, outcome }, n);
}

/**
 * The signal's entry in the platform's index of queued signals by worker, so an erasure finds the
 * worker's signals that no worker has picked up yet. Processing moves it to the worker's own index.
 */
export function queuedEntry(gw: Gateway, platformId: string, signal: Signal): string {
  const workerId = workerIdOf(signal);
  return workerId === null ? "" : `${subjectIdOf(gw.masterKey, platformId, workerId)} ${signal.id}`;
}

/** BullMQ options of a signal job: its id is derived from the signal's, so a re-add is a no-op. */
function jobOptions(platformId: string, signal: Signal) {
  return {
    jobId: signalJobId(platformId, signal.id),
    attempts: 8,
    backoff: { type: "exponential", delay: 1000 },
    removeOnComplete: { age: 3600, count: 10_000 },
    removeOnFail: false,
  };
}

/** Stores claimed signals as jobs, then confirms their claims; releases the claims if the store fails. */
async function enqueue(
  gw: Gateway,
  redis: IntakeRedis,
  platformId: string,
  claimed: Signal[],
  { receivedAt, trace }: { receivedAt: number; trace: TraceContext | undefined },
): Promise<void> {
  const job = (signal: Signal): SignalJob =>
    trace ? { platformId, signal, receivedAt, trace } : { platformId, signal, receivedAt };
  const claimedKeys = claimed.map((s) => keys.signal(platformId, s.id));
  const queue = gw.queue("signals");
  try {
    // One signal (the common single-signal request) is one command; addBulk would build a pipeline for it.
    if (claimed.length === 1) {
      const signal = claimed[0] as Signal;
      await queue.add(signal.type, job(signal), jobOptions(platformId, signal));
    } else {
      await queue.addBulk(
        claimed.map((signal) => ({
          name: signal.type,
          data: job(signal),
          opts: jobOptions(platformId, signal),
        })),
      );
    }
  } catch (error) {
    await redis.gbRelease(claimedKeys.length, ...claimedKeys).catch(() => {});
    throw new UnavailableError("The signal queue is unavailable; nothing was stored. Retry shortly.", error);
  }
  // The jobs are stored. If this mark is lost, the claim reads as queued, and a request for the same
  // id after the stale limit re-adds it under the same job id, which BullMQ ignores: nothing doubles.
  await redis.gbMarkQueued(claimedKeys.length, ...claimedKeys).catch((error: unknown) => {
    gw.logger.warn({ err: error }, "could not mark signals queued");
  });
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

/** What became of a signal, for `GET /v1/signals/{id}`; null when this platform never sent it. */
export async function signalStatus(gw: Gateway, platformId: string, signalId: string) {
  const fields = await withRedis(() => gw.redis.hgetall(keys.signal(platformId, signalId)));
  if (!fields.status) return null;
  if (!fields.type || !fields.receivedAt) {
    // A marker that expired and was written again by a late replay: the job still knows the rest.
    const job = await withRedis(() => gw.queue("signals").getJob(signalJobId(platformId, signalId)));
    const data = job?.data as SignalJob | undefined;
    fields.type ??= data?.signal.type ?? "";
    fields.receivedAt ??= String(data?.receivedAt ?? fields.processedAt ?? 0);
  }
  const failed = fields.status === "failed";
  return {
    id: signalId,
    type: fields.type as SignalType,
    status: (fields.status === "pending" ? "queued" : fields.status) as "queued" | "processed" | "failed",
    receivedAt: new Date(Number(fields.receivedAt)).toISOString(),
    ...(fields.processedAt ? { processedAt: new Date(Number(fields.processedAt)).toISOString() } : {}),
    tasks: fields.tasks ? (JSON.parse(fields.tasks) as string[]) : [],
    ...staleNote(fields.stale),
    ...(failed
      ? { failure: { reason: fields.failureReason ?? "unknown", detail: fields.failureDetail ?? "" } }
      : {}),
  };
}

/** The facts a processed signal stated too late to change the worker's record, and a note saying so. */
function staleNote(json: string | undefined): { staleFacts?: WorkerFact[]; note?: string } {
  if (!json) return {};
  const staleFacts = JSON.parse(json) as WorkerFact[];
  return {
    staleFacts,
    note: `Older than the worker's record, so not applied: ${staleFacts.join(", ")}. The signal's other facts and events were processed.`,
  };
}
