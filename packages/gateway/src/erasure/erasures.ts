import { createHash } from "node:crypto";
import type { Erasure } from "@gigbridge/schemas";
import type { Gateway } from "../core/context.js";
import { subjectIdOf } from "../core/master-key.js";
import { Script } from "../core/script.js";
import { appendAudit } from "../ops/audit.js";
import { type ErasureCounts, eraseSubject } from "./erase.js";
import { erasureKeys } from "./keys.js";
import { erasureSteps } from "./personal-data.js";

/** The `erasures` job: ids only. */
export interface ErasureJob {
  erasureId: string;
  platformId: string;
  subjectId: string;
}

/** One erasure per worker: the id derives from the subject, so asking twice names the same erasure. */
export function erasureIdOf(subjectId: string): string {
  return `era_${createHash("sha256").update("gigbridge/erasure\n").update(subjectId).digest("base64url").slice(0, 26)}`;
}

/**
 * Sets the tombstone once. From here on no signal for the subject commits (see `enterSignal` and the
 * commit script). KEYS: tombstone, lookup. ARGV: erasure id, platform, subject, now (ms).
 * Replies 1 when set now, 0 when it was set before.
 */
const TOMBSTONE = new Script(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'erasureId', ARGV[1], 'platformId', ARGV[2], 'requestedAt', ARGV[4], 'status', 'queued')
return 1
`);

/**
 * `DELETE /v1/workers/{workerId}`: records the request in the audit log, sets the worker's tombstone
 * and queues the erasure job. Whether the worker was ever known makes no difference to anything the
 * platform sees. Asking again answers the same erasure and queues nothing new once it completed.
 */
export async function requestErasure(gw: Gateway, platformId: string, workerId: string): Promise<Erasure> {
  const subjectId = subjectIdOf(gw.masterKey, platformId, workerId);
  const erasureId = erasureIdOf(subjectId);
  const existing = await readErasure(gw, subjectId);
  if (existing?.status === "completed") return existing;
  if (!existing) {
    // Audited before it takes effect; the subject id stays out of the log.
    await appendAudit(gw, {
      operator: platformId,
      role: "platform",
      action: "worker.erase",
      outcome: "accepted",
      target: erasureId,
    });
    await TOMBSTONE.run(
      gw.redis,
      [erasureKeys.tombstone(subjectId)],
      [erasureId, platformId, subjectId, gw.now()],
    );
    await gw.redis.set(erasureKeys.lookup(erasureId), `${platformId} ${subjectId}`);
  }
  // The same job id while the job is kept: a repeated request (or one whose first add was lost) adds one
  // job, and one that ran out of attempts starts again.
  const queue = gw.queue("erasures");
  const job = await queue.add("erase", { erasureId, platformId, subjectId } satisfies ErasureJob, {
    jobId: erasureId,
    attempts: 8,
    backoff: { type: "exponential", delay: 1000 },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: false,
  });
  if (await job.isFailed())
    await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
  return (await readErasure(gw, subjectId)) as Erasure;
}

/** `GET /v1/erasures/{id}`: only the platform that asked sees it; anyone else gets null (404). */
export async function erasureStatus(
  gw: Gateway,
  platformId: string,
  erasureId: string,
): Promise<Erasure | null> {
  const found = await gw.redis.get(erasureKeys.lookup(erasureId));
  if (!found) return null;
  const [owner, subjectId = ""] = found.split(" ");
  if (owner !== platformId) return null;
  return readErasure(gw, subjectId);
}

async function readErasure(gw: Gateway, subjectId: string): Promise<Erasure | null> {
  const f = await gw.redis.hgetall(erasureKeys.tombstone(subjectId));
  if (!f.erasureId) return null;
  const iso = (ms: string) => new Date(Number(ms)).toISOString();
  return {
    id: f.erasureId,
    status: (f.status ?? "queued") as Erasure["status"],
    requestedAt: iso(f.requestedAt ?? "0"),
    ...(f.completedAt ? { completedAt: iso(f.completedAt) } : {}),
  };
}

/** The erasure job: every step of the registry, then the tombstone reads `completed` and the audit log says how much went. */
export async function runErasure(gw: Gateway, job: ErasureJob): Promise<ErasureCounts> {
  const tombstone = erasureKeys.tombstone(job.subjectId);
  await gw.redis.hset(tombstone, "status", "running");
  const counts = await eraseSubject(gw, job.platformId, job.subjectId, erasureSteps);
  await appendAudit(gw, {
    operator: job.platformId,
    role: "platform",
    action: "worker.erase",
    outcome: "completed",
    count: Object.values(counts).reduce((a, b) => a + b, 0),
    target: job.erasureId,
    detail: Object.entries(counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", "),
  });
  await gw.redis.hset(tombstone, "status", "completed", "completedAt", gw.now());
  gw.logger.info({ erasureId: job.erasureId, ...counts }, "worker erased");
  return counts;
}
