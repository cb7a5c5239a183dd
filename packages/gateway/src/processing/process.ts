import type { Signal, WorkerFact } from "@gigbridge/schemas";
import { UnrecoverableError } from "bullmq";
import type { Gateway } from "../core/context.js";
import { keys, signalJobId } from "../core/keys.js";
import { subjectIdOf } from "../core/master-key.js";
import { routingTableOf } from "../core/org-table.js";
import { Script } from "../core/script.js";
import { seal, WORKER_ID_PURPOSE } from "../core/seal.js";
import type { TraceContext } from "../core/tracing.js";
import { eraseSubject } from "../erasure/erase.js";
import { erasureSteps } from "../erasure/personal-data.js";
import { type ErasedSignalJob, isErasedJob } from "../erasure/scrub.js";
import { enterSignal, indexDecision, isErased } from "../erasure/tombstone.js";
import type { SignalJob } from "../ingest/intake.js";
import { adoptFromPreviousKeys } from "../rotation/move.js";
import { decide, workerIdOf } from "../rules/decide.js";
import type { Decision, RuleContext, WorkerRecord } from "../rules/decision.js";
import { eventId } from "../rules/ids.js";
import { ensureTask } from "../tasks/create.js";
import { type EmitEvent, outbox } from "../tasks/events.js";
import { addPoints } from "./ledger.js";
import { commitDecision, loadRecord } from "./records.js";
import { applyStationChange, loadStation, saveStation } from "./stations.js";

/**
 * The signal cannot be routed now: the job fails at once (no retries: only an operator adding an
 * org can fix it) and stays in the failed set for replay. `failedReason` is `no_route`.
 */
export class NoRouteError extends UnrecoverableError {
  readonly reason = "no_route";
  constructor(readonly detail: string) {
    super("no_route");
    this.name = "NoRouteError";
  }
}

export interface ProcessOptions {
  /** Where events go; the delivery outbox by default. */
  emit?: EmitEvent;
  /** The trace the processing continues; the outbox sends it with each webhook. */
  trace?: TraceContext;
}

export interface ProcessResult {
  subjectId: string | null;
  tasks: string[];
  /** Set when the signal was refused because its worker was erased; the job's data is then to be erased too. */
  refused?: "erased";
}

/** Thrown inside processing when the commit finds the worker erased. */
class Erased extends Error {}

// A worker's signals rarely race; when they do, the loser reads the record again and decides again.
const MAX_CONFLICTS = 20;

/**
 * Turns one accepted signal into work: derive the subject, read its record, run the rules, store
 * the record with the decision, then create tasks, update station counts (R6), add points (R7),
 * emit events and mark the signal processed. Every step after the decision is idempotent and the
 * decision itself is remembered per signal, so running this again for the same signal (a retry, a
 * stalled job, an operator's replay) yields the same tasks and events and counts nothing twice.
 */
export async function processSignal(
  gw: Gateway,
  job: SignalJob | ErasedSignalJob,
  options: ProcessOptions = {},
): Promise<ProcessResult> {
  // A job whose worker was erased (an operator replays an old failure) carries nothing to process.
  if (isErasedJob(job)) return refuseErased(gw, job.platformId, job.signal.id, job.erased.subjectId);
  const { platformId, signal } = job;
  const emit = options.emit ?? outbox(gw, options.trace);
  const workerId = workerIdOf(signal);
  const subjectId = workerId === null ? null : subjectIdOf(gw.masterKey, platformId, workerId);

  let decision: Decision;
  let version = 0;
  if (subjectId === null) {
    decision = decide(signal, null, await ruleContext(gw, platformId, "", signal, null));
    if (decision.failure) await failNoRoute(gw, platformId, signal, decision.failure.detail);
  } else {
    // During a master-key rotation the worker's data may still sit under its old subject id.
    if (gw.previousMasterKeys.length > 0 && workerId !== null) {
      await adoptFromPreviousKeys(gw, platformId, workerId, subjectId, signal.id);
    }
    // Erasure is final: the tombstone is read where the signal joins the worker's index, and again in
    // the commit. The signal leaves the platform's index of waiting signals at the same time: an erasure
    // reads both indexes after it set the tombstone, so it finds the signal in one or the signal finds it.
    const [entered] = await Promise.all([
      enterSignal(gw.redis, subjectId, signal.id, signalJobId(platformId, signal.id)),
      gw.redis.zrem(keys.queued(platformId), `${subjectId} ${signal.id}`),
    ]);
    if (entered.erased) return refuseErased(gw, platformId, signal.id, subjectId);
    let decided: { decision: Decision; version: number };
    try {
      // A retry or replay reuses the decision taken the first time (read while entering).
      decided = entered.taken ?? (await decideOnce(gw, platformId, subjectId, signal));
    } catch (error) {
      if (error instanceof Erased) return refuseErased(gw, platformId, signal.id, subjectId);
      throw error;
    }
    decision = decided.decision;
    version = decided.version;
    await indexDecision(gw.redis, platformId, subjectId, decision);
  }

  const taskIds: string[] = [];
  for (const task of decision.tasks) taskIds.push((await ensureTask(gw, task, emit)).task.id);
  for (const change of decision.stations) {
    const outcome = await applyStationChange(
      gw.redis,
      platformId,
      subjectId ?? "",
      version,
      change,
      `${platformId}|${signal.id}`,
    );
    if (outcome.fired && change.candidate) {
      const candidate = {
        ...change.candidate,
        details: { ...change.candidate.details, memberCount: outcome.memberCount },
      };
      taskIds.push((await ensureTask(gw, candidate, emit)).task.id);
    }
  }
  if (decision.points) {
    const { entry } = await addPoints(gw.redis, decision.points);
    await emit({
      eventId: eventId("points.awarded", entry.subjectId, entry.activityId),
      orgId: entry.orgId,
      type: "points.awarded",
      data: {
        subjectId: entry.subjectId,
        orgId: entry.orgId,
        activityId: entry.activityId,
        kind: entry.kind,
        hours: entry.hours,
        points: entry.points,
        balance: entry.balance,
        occurredAt: entry.occurredAt,
      },
    });
  }
  for (const event of decision.events) await emit(event);
  if (decision.station) await saveStation(gw.redis, decision.station);
  // Erased while this signal was writing: what it wrote is indexed, so erasing again here leaves nothing.
  if (subjectId !== null && (await isErased(gw.redis, subjectId))) {
    await eraseSubject(gw, platformId, subjectId, erasureSteps);
    return refuseErased(gw, platformId, signal.id, subjectId);
  }
  await markSignal(gw, platformId, signal.id, {
    status: "processed",
    tasks: taskIds,
    stale: decision.stale ?? [],
  });
  return { subjectId, tasks: taskIds };
}

async function refuseErased(
  gw: Gateway,
  platformId: string,
  signalId: string,
  subjectId: string,
): Promise<ProcessResult> {
  gw.logger.info({ platformId, signalId }, "signal refused: erased");
  await markSignal(gw, platformId, signalId, {
    status: "failed",
    failure: {
      reason: "erased",
      detail:
        "The worker's personal data was erased; signals about the worker are refused. A worker who returns needs a new worker id.",
    },
  });
  return { subjectId, tasks: [], refused: "erased" };
}

/** Decides a signal not decided before (entering read its memo) and commits the decision with the record. */
async function decideOnce(
  gw: Gateway,
  platformId: string,
  subjectId: string,
  signal: Signal,
): Promise<{ decision: Decision; version: number }> {
  const workerId = workerIdOf(signal);
  const lifetimes = {
    decisionMs: gw.config.retention.decisions ?? gw.config.ingest.idempotencyWindow,
    offboardedRecordMs: gw.config.retention.offboardedRecords,
  };
  for (let attempt = 0; attempt < MAX_CONFLICTS; attempt++) {
    const { record, version } = await loadRecord(gw.redis, subjectId);
    const decision = decide(signal, record, await ruleContext(gw, platformId, subjectId, signal, record));
    if (decision.failure) return failNoRoute(gw, platformId, signal, decision.failure.detail);
    const result = await commitDecision(
      gw.redis,
      subjectId,
      signal.id,
      version,
      decision,
      lifetimes,
      workerId === null ? "" : seal(gw.masterKey, WORKER_ID_PURPOSE, workerId, platformId),
    );
    if (result.outcome === "written") return { decision, version: result.version };
    if (result.outcome === "decided_before") return result;
    if (result.outcome === "erased") throw new Erased();
  }
  throw new Error(`the worker record kept changing while signal ${signal.id} was processed; retrying later`);
}

async function ruleContext(
  gw: Gateway,
  platformId: string,
  subjectId: string,
  signal: Signal,
  record: WorkerRecord | null,
): Promise<RuleContext> {
  const stationId = stationOf(signal) ?? record?.stationId;
  const [table, station] = await Promise.all([
    routingTableOf(gw),
    stationId ? loadStation(gw.redis, platformId, stationId) : undefined,
  ]);
  return { platformId, subjectId, table, deadlines: gw.config.deadlines, now: gw.now(), station };
}

/** The station a signal puts the worker at, for R6's task details. */
function stationOf(signal: Signal): string | undefined {
  switch (signal.type) {
    case "worker.onboarded":
    case "membership.declared":
      return signal.data.stationId;
    case "worker.relocated":
      return signal.data.to.stationId;
    default:
      return undefined;
  }
}

async function failNoRoute(gw: Gateway, platformId: string, signal: Signal, detail: string): Promise<never> {
  gw.metrics.failures.inc({ queue: "signals", reason: "no_route" });
  gw.logger.info(
    { platformId, signalId: signal.id, type: signal.type, detail },
    "signal failed: no_route; kept for replay",
  );
  await markSignal(gw, platformId, signal.id, { status: "failed", failure: { reason: "no_route", detail } });
  throw new NoRouteError(detail);
}

/**
 * Updates the status `GET /v1/signals/{id}` reads. KEYS: the signal's status hash. ARGV: status,
 * processedAt (ms), tasks JSON, failure reason, failure detail ('' = none), lifetime (ms) for a hash
 * that has none (it expired before a late replay re-created it), stale facts JSON ('' = none).
 */
const MARK = new Script(`
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'processedAt', ARGV[2], 'tasks', ARGV[3])
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[1], 'failureReason', ARGV[4], 'failureDetail', ARGV[5])
else
  redis.call('HDEL', KEYS[1], 'failureReason', 'failureDetail')
end
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[1], 'stale', ARGV[7])
else
  redis.call('HDEL', KEYS[1], 'stale')
end
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
return 1
`);

/** After the last retry of an error other than `no_route`, so the platform sees the signal failed. */
export async function markSignalFailed(
  gw: Gateway,
  platformId: string,
  signalId: string,
  detail: string,
): Promise<void> {
  await markSignal(gw, platformId, signalId, {
    status: "failed",
    failure: { reason: "processing_error", detail },
  });
}

async function markSignal(
  gw: Gateway,
  platformId: string,
  signalId: string,
  state:
    | { status: "processed"; tasks: string[]; stale?: WorkerFact[] }
    | { status: "failed"; failure: { reason: string; detail: string } },
): Promise<void> {
  const tasks = state.status === "processed" ? state.tasks : [];
  const stale = state.status === "processed" && state.stale?.length ? JSON.stringify(state.stale) : "";
  const failure = state.status === "failed" ? state.failure : { reason: "", detail: "" };
  await MARK.run(
    gw.redis,
    [keys.signal(platformId, signalId)],
    [
      state.status,
      gw.now(),
      JSON.stringify(tasks),
      failure.reason,
      failure.detail,
      gw.config.ingest.idempotencyWindow,
      stale,
    ],
  );
}
