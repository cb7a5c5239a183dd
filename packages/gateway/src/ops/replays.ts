import { randomBytes } from "node:crypto";
import { type Job, Worker } from "bullmq";
import type { Gateway } from "../core/context.js";
import { NotFoundError, ValidationError } from "../core/errors.js";
import { execOrThrow } from "../core/exec.js";
import { queues } from "../core/keys.js";
import { onFinalFailure, recoveryOptions, type WorkerHandle, workerHandle } from "../core/worker-handle.js";
import { appendAudit } from "./audit.js";
import { countFailedIds, countFailures, type Position, scanFailures } from "./failures.js";
import { opsKeys } from "./keys.js";
import type { FailureFilter, Replay } from "./schemas.js";
import { type FailureSource, parseItemId } from "./sources.js";

/**
 * Replays: moving failed jobs back to their queue under the same job id. For a
 * signal that means processing runs again (its task ids derive from the signal
 * and rule, so nothing is created twice); for a delivery it means the same
 * message, with the same `webhook-id`, is sent again with a fresh schedule.
 * Only a job that is failed at that moment moves (BullMQ checks atomically), so
 * replaying the same item twice replays it once.
 *
 * A bulk replay is a job on the `replays` queue with its progress in a hash
 * `gb:{ops}:replay:<id>`; the worker saves its position with each batch's
 * counts, so a replay interrupted by a crash resumes where it was.
 */

export type ReplayOutcome = "replayed" | "not_failed" | "error";

export interface Operator {
  name: string;
  role: "viewer" | "operator";
}

const replayKey = opsKeys.replay;
/** Replay progress is kept this long after it was requested. */
const REPLAY_STATE_TTL_MS = 30 * 24 * 3_600_000;
/** Items replayed at once within a batch. */
const BATCH = 100;

/** Moves one failed job back to its queue, with its attempts counted from zero. */
export async function replayJob(
  gw: Gateway,
  source: FailureSource,
  job: Job | undefined,
): Promise<ReplayOutcome> {
  let outcome: ReplayOutcome = "not_failed";
  if (job) {
    try {
      await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
      outcome = "replayed";
    } catch (error) {
      // BullMQ refuses a job that is not failed (already replayed, or being processed): that is not an error.
      const state = await job.getState().catch(() => "unknown");
      outcome = state === "failed" ? "error" : "not_failed";
      if (outcome === "error")
        gw.logger.warn({ err: error, jobId: job.id, queue: source.queue }, "replay failed");
    }
  }
  gw.metrics.replays.inc({ queue: source.queue, outcome });
  return outcome;
}

/** Replays items by id. */
export async function replayIds(gw: Gateway, ids: readonly string[]): Promise<ReplayOutcome[]> {
  return Promise.all(
    ids.map(async (id) => {
      const { source, jobId } = parseItemId(id);
      return replayJob(gw, source, await gw.queue(source.queue).getJob(jobId));
    }),
  );
}

export interface ReplayRequest {
  ids?: string[] | undefined;
  filter?: FailureFilter | undefined;
  dryRun?: boolean | undefined;
}

export type ReplayAnswer = { dryRun: true; count: number } | { id: string; status: "queued"; total: number };

/**
 * Counts (dry run) or starts a replay. The request is recorded in the audit log
 * before anything moves; a filter is bounded by the time of the request, so a
 * replay replays what had failed when the operator asked, and what fails again
 * during the replay is not picked up a second time.
 */
export async function requestReplay(
  gw: Gateway,
  operator: Operator,
  request: ReplayRequest,
): Promise<ReplayAnswer> {
  if ((request.ids === undefined) === (request.filter === undefined)) {
    throw new ValidationError("Give either `ids` or `filter` (use an empty filter to mean all failures).", [
      { pointer: request.ids ? "/filter" : "", detail: "exactly one of `ids` and `filter` is required" },
    ]);
  }
  const ids = request.ids ? [...new Set(request.ids)] : undefined;
  if (ids) for (const [i, id] of ids.entries()) checkId(id, i);
  const filter = request.filter ? boundedFilter(request.filter) : undefined;
  const selection = ids ? { ids } : { filter: filter as FailureFilter };
  const count = ids ? await countFailedIds(gw, ids) : await countFailures(gw, filter as FailureFilter);

  if (request.dryRun) {
    await appendAudit(gw, {
      operator: operator.name,
      role: operator.role,
      action: "replay.dry_run",
      outcome: "counted",
      count,
      ...selection,
    });
    return { dryRun: true, count };
  }

  const id = `rpl_${randomBytes(12).toString("base64url")}`;
  await appendAudit(gw, {
    operator: operator.name,
    role: operator.role,
    action: "replay",
    outcome: "accepted",
    count,
    target: id,
    ...selection,
  });
  const now = gw.now();
  try {
    await execOrThrow(
      gw.redis
        .multi()
        .hset(replayKey(id), {
          status: "queued",
          total: count,
          done: 0,
          skipped: 0,
          failed: 0,
          offset: 0,
          operator: operator.name,
          role: operator.role,
          createdAt: now,
          ...(ids ? { ids: JSON.stringify(ids) } : { filter: JSON.stringify(filter) }),
        })
        .pexpire(replayKey(id), REPLAY_STATE_TTL_MS),
    );
    await gw.queue("replays").add(
      "replay",
      { replayId: id },
      {
        jobId: id,
        attempts: 5,
        backoff: { type: "exponential", delay: 2000 },
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    );
  } catch (error) {
    await appendAudit(gw, {
      operator: operator.name,
      role: operator.role,
      action: "replay.finished",
      outcome: "failed",
      target: id,
      detail: "the replay could not be queued",
    }).catch(() => {});
    throw error;
  }
  return { id, status: "queued", total: count };
}

function checkId(id: string, index: number): void {
  try {
    parseItemId(id);
  } catch {
    throw new ValidationError("An id is not a failure id.", [
      { pointer: `/ids/${index}`, detail: "must be `signals:<job id>` or `deliveries:<job id>`" },
    ]);
  }
}

/** The filter with `until` no later than now: failure times are BullMQ's, on the real clock. */
function boundedFilter(filter: FailureFilter): FailureFilter {
  const now = Date.now();
  const until = filter.until ? Math.min(Date.parse(filter.until), now) : now;
  return { ...filter, until: new Date(until).toISOString() };
}

const iso = (ms: string | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);

/** A replay's progress; 404 for an unknown (or expired) id. */
export async function getReplay(gw: Gateway, id: string): Promise<Replay> {
  const f = await gw.redis.hgetall(replayKey(id));
  if (!f.status) throw new NotFoundError(`No replay ${id}.`);
  return {
    id,
    status: f.status as Replay["status"],
    total: Number(f.total ?? 0),
    done: Number(f.done ?? 0),
    skipped: Number(f.skipped ?? 0),
    failed: Number(f.failed ?? 0),
    operator: f.operator ?? "",
    ...(f.filter ? { filter: JSON.parse(f.filter) as FailureFilter } : {}),
    ...(f.ids ? { ids: JSON.parse(f.ids) as string[] } : {}),
    createdAt: iso(f.createdAt) as string,
    startedAt: iso(f.startedAt),
    finishedAt: iso(f.finishedAt),
    ...(f.error ? { error: f.error } : {}),
  };
}

function tally(outcomes: ReplayOutcome[]) {
  return {
    done: outcomes.filter((o) => o === "replayed").length,
    skipped: outcomes.filter((o) => o === "not_failed").length,
    failed: outcomes.filter((o) => o === "error").length,
  };
}

/** Saves a batch's counts together with the position after it, so a resumed job neither repeats nor skips. */
async function saveProgress(
  gw: Gateway,
  id: string,
  counts: { done: number; skipped: number; failed: number },
  resume: Record<string, string | number>,
): Promise<void> {
  await execOrThrow(
    gw.redis
      .multi()
      .hincrby(replayKey(id), "done", counts.done)
      .hincrby(replayKey(id), "skipped", counts.skipped)
      .hincrby(replayKey(id), "failed", counts.failed)
      .hset(replayKey(id), resume),
  );
}

async function runReplay(gw: Gateway, id: string): Promise<void> {
  const state = await gw.redis.hgetall(replayKey(id));
  if (!state.status) throw new Error(`replay ${id} has no state; it expired or was never stored`);
  if (state.status === "completed" || state.status === "failed") return;
  await gw.redis.hset(replayKey(id), "status", "running");
  await gw.redis.hsetnx(replayKey(id), "startedAt", gw.now());

  if (state.ids) {
    const ids = JSON.parse(state.ids) as string[];
    for (let offset = Number(state.offset ?? 0); offset < ids.length; offset += BATCH) {
      const outcomes = await replayIds(gw, ids.slice(offset, offset + BATCH));
      await saveProgress(gw, id, tally(outcomes), { offset: Math.min(offset + BATCH, ids.length) });
    }
  } else {
    const filter = JSON.parse(state.filter ?? "{}") as FailureFilter;
    const after = state.position ? (JSON.parse(state.position) as Position) : undefined;
    for await (const chunk of scanFailures(gw, filter, after)) {
      const outcomes: ReplayOutcome[] = [];
      for (let i = 0; i < chunk.matches.length; i += BATCH) {
        const batch = chunk.matches.slice(i, i + BATCH);
        outcomes.push(...(await Promise.all(batch.map((m) => replayJob(gw, m.source, m.job)))));
      }
      await saveProgress(gw, id, tally(outcomes), { position: JSON.stringify(chunk.last) });
    }
  }

  await gw.redis.hset(replayKey(id), { status: "completed", finishedAt: gw.now() });
  const done = await getReplay(gw, id);
  await appendAudit(gw, {
    operator: done.operator,
    role: (state.role as Operator["role"]) ?? "operator",
    action: "replay.finished",
    outcome: "completed",
    count: done.done,
    target: id,
    detail: `replayed ${done.done}, skipped ${done.skipped} no longer failed, ${done.failed} errors`,
  });
}

/** Consumes the `replays` queue: one bulk replay at a time per process. */
export function startReplayWorker(gw: Gateway): WorkerHandle {
  const { name, prefix } = queues.replays;
  const connection = gw.workerConnection(`gigbridge:worker:${name}`);
  const worker = new Worker<{ replayId: string }>(name, (job) => runReplay(gw, job.data.replayId), {
    connection,
    prefix,
    ...recoveryOptions(gw.config),
    concurrency: 1,
  });
  worker.on("error", (error) => gw.quietLog.error("replay worker", error));
  onFinalFailure(
    worker,
    (job, error) => recordFailedReplay(gw, job.data.replayId, error),
    (e) => gw.logger.error({ err: e }, "could not record a failed replay"),
  );
  return workerHandle(name, worker, connection);
}

/** A replay whose job landed in the failed set (retries spent or stalled out) reads `failed`, audited. */
async function recordFailedReplay(gw: Gateway, id: string, error: Error): Promise<void> {
  gw.metrics.failures.inc({ queue: queues.replays.name, reason: "processing_error" });
  gw.logger.error({ err: error, replayId: id }, "replay failed");
  await gw.redis.hset(replayKey(id), {
    status: "failed",
    finishedAt: gw.now(),
    error: error.message.slice(0, 500),
  });
  const state = await gw.redis.hmget(replayKey(id), "operator", "role", "done");
  await appendAudit(gw, {
    operator: state[0] ?? "unknown",
    role: state[1] === "viewer" ? "viewer" : "operator",
    action: "replay.finished",
    outcome: "failed",
    count: Number(state[2] ?? 0),
    target: id,
    detail: error.message,
  });
}
