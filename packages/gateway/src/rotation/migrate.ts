import { Cluster } from "ioredis";
import type { Gateway } from "../core/context.js";
import { subjectIdOf } from "../core/master-key.js";
import type { RedisClient } from "../core/redis.js";
import { Script } from "../core/script.js";
import { seal, unseal, WORKER_ID_PURPOSE } from "../core/seal.js";
import { resealEndpointSecrets } from "../delivery/endpoints.js";
import { appendAudit } from "../ops/audit.js";
import type { WorkerRecord } from "../rules/decision.js";
import { moveDecision, movedKey, moveSubject, renamed } from "./move.js";

/**
 * `gigbridge rotate-master-key`: moves everything derived from or sealed with a previous master
 * key to the current one, in passes over the keyspace:
 * 1. `records`: each worker record's sealed worker id gives the subject id under the current key;
 *    record, ledger and station membership move there (`moveSubject`);
 * 2. `decisions`: stored decisions still under an old subject id follow its `moved` marker;
 * 3. `tasks`: tasks naming an old subject id are rewritten to the new one;
 * 4. `endpoints`: endpoint secrets are sealed again under the current key.
 * Progress (pass, SCAN cursor per node, counts) is saved in `gb:rotation` after every batch, so
 * a stopped run resumes where it was; every step is idempotent and safe next to live traffic.
 */

export const PASSES = ["records", "decisions", "tasks", "endpoints"] as const;
export type Pass = (typeof PASSES)[number];

export interface RotationProgress {
  /** Id of the key everything is moved to. */
  keyId: string;
  pass: Pass | "done";
  scanned: number;
  moved: number;
  resealed: number;
  /** Records from before sealed worker ids whose worker id is unknown: moved when the worker's next signal arrives. */
  unmigratable: number;
  /** Workers with records under both ids, made by a process without the old key: the old record is kept. */
  conflicts: number;
  startedAt: string;
  finishedAt?: string;
}

export const rotationKey = "gb:rotation";
const cursorField = (pass: Pass, node: string) => `cursor:${pass}:${node}`;

const patterns: Record<Pass, string> = {
  records: "gb:{w:*}:record",
  decisions: "gb:{w:*}:decision:*",
  tasks: "gb:{o:*}:task:*",
  endpoints: "gb:{eo:*}:endpoints",
};

/** Every master's connection (one for a single Redis) with a stable name for its cursor. */
function scanNodes(redis: RedisClient): { name: string; node: RedisClient }[] {
  if (!(redis instanceof Cluster)) return [{ name: "single", node: redis }];
  return redis.nodes("master").map((node) => ({
    name: `${node.options.host}:${node.options.port}`,
    node: node as unknown as RedisClient,
  }));
}

const between = (text: string, start: string, end: string): string | undefined => {
  const i = text.indexOf(start);
  if (i < 0) return undefined;
  const j = text.indexOf(end, i + start.length);
  return j < 0 ? undefined : text.slice(i + start.length, j);
};

// KEYS: task hash. ARGV: expected json, new json. Compare-and-set of the task's JSON.
const TASK_CAS = new Script(`
if redis.call('HGET', KEYS[1], 'json') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2])
return 1
`);

async function migrateRecord(gw: Gateway, key: string, progress: RotationProgress): Promise<void> {
  const from = between(key, "gb:{w:", "}:record");
  if (!from) return;
  const [json, wid] = await gw.redis.hmget(key, "json", "wid");
  if (!json) return;
  const record = JSON.parse(json) as WorkerRecord;
  const keys = [gw.masterKey, ...gw.previousMasterKeys.map((k) => k.key)];
  const opened = wid ? unseal(keys, WORKER_ID_PURPOSE, wid, record.platformId) : null;
  const workerId = opened?.plaintext ?? record.workerId;
  if (workerId === undefined) {
    progress.unmigratable++;
    return;
  }
  const to = subjectIdOf(gw.masterKey, record.platformId, workerId);
  if (to !== from) {
    const outcome = await moveSubject(gw, workerId, from, to);
    if (outcome === "moved") progress.moved++;
    if (outcome === "conflict") progress.conflicts++;
  } else if (opened === null || opened.keyIndex !== 0) {
    // Already under its current id, but the worker id is sealed under an old key (or not at all).
    await gw.redis.hset(key, "wid", seal(gw.masterKey, WORKER_ID_PURPOSE, workerId, record.platformId));
    progress.resealed++;
  }
}

async function migrateDecision(gw: Gateway, key: string, progress: RotationProgress): Promise<void> {
  const from = between(key, "gb:{w:", "}:decision:");
  const signalId = key.slice(key.indexOf("}:decision:") + "}:decision:".length);
  if (!from) return;
  const to = await gw.redis.get(movedKey(from));
  if (to && (await moveDecision(gw, signalId, from, to))) progress.moved++;
}

async function migrateTask(gw: Gateway, key: string, progress: RotationProgress): Promise<void> {
  const json = await gw.redis.hget(key, "json");
  if (json === null) return;
  const from = (JSON.parse(json) as { subjectId?: string }).subjectId;
  if (!from) return;
  const to = await gw.redis.get(movedKey(from));
  if (!to) return;
  if (Number(await TASK_CAS.run(gw.redis, [key], [json, renamed(json, from, to)])) === 1) progress.moved++;
}

async function migrateEndpoints(gw: Gateway, key: string, progress: RotationProgress): Promise<void> {
  const orgId = between(key, "gb:{eo:", "}:endpoints");
  if (orgId) progress.resealed += await resealEndpointSecrets(gw, orgId);
}

const steps: Record<Pass, (gw: Gateway, key: string, progress: RotationProgress) => Promise<void>> = {
  records: migrateRecord,
  decisions: migrateDecision,
  tasks: migrateTask,
  endpoints: migrateEndpoints,
};

/** The saved progress of the rotation to the current key, if one was started. */
export async function rotationProgress(gw: Gateway): Promise<RotationProgress | null> {
  const json = await gw.redis.hget(rotationKey, "progress");
  const progress = json ? (JSON.parse(json) as RotationProgress) : null;
  return progress && progress.keyId === gw.masterKeyId ? progress : null;
}

export interface RotateOptions {
  /** Who runs it, for the audit log. */
  operator: string;
  /** Called after every batch. */
  onProgress?: (progress: RotationProgress) => void;
  /** Keys per SCAN batch. */
  batch?: number;
}

/** Runs (or resumes) the rotation to the current master key; returns the final progress. */
export async function rotateMasterKey(gw: Gateway, options: RotateOptions): Promise<RotationProgress> {
  const saved = await rotationProgress(gw);
  if (saved?.pass === "done") return saved;
  const progress: RotationProgress = saved ?? {
    keyId: gw.masterKeyId,
    pass: "records",
    scanned: 0,
    moved: 0,
    resealed: 0,
    unmigratable: 0,
    conflicts: 0,
    startedAt: new Date(gw.now()).toISOString(),
  };
  if (!saved) {
    // A new rotation forgets the cursors of an earlier one.
    await gw.redis.del(rotationKey);
  }
  await appendAudit(gw, {
    operator: options.operator,
    role: "operator",
    action: "master_key.rotate",
    outcome: saved ? "resumed" : "started",
    target: gw.masterKeyId,
    detail: `previous keys: ${gw.previousMasterKeys.map((k) => k.id).join(", ") || "none"}; pass ${progress.pass}`,
  });
  const save = async (fields: Record<string, string>) => {
    await gw.redis.hset(rotationKey, { ...fields, progress: JSON.stringify(progress) });
    options.onProgress?.(progress);
  };
  for (const pass of PASSES.slice(PASSES.indexOf(progress.pass as Pass))) {
    progress.pass = pass;
    for (const { name, node } of scanNodes(gw.redis)) {
      const field = cursorField(pass, name);
      let cursor = (await gw.redis.hget(rotationKey, field)) ?? "0";
      if (cursor === "done") continue;
      do {
        const [next, keys] = await node.scan(cursor, "MATCH", patterns[pass], "COUNT", options.batch ?? 500);
        for (const key of keys) {
          progress.scanned++;
          await steps[pass](gw, key, progress);
        }
        cursor = next;
        await save({ [field]: cursor === "0" ? "done" : cursor });
      } while (cursor !== "0");
    }
  }
  progress.pass = "done";
  progress.finishedAt = new Date(gw.now()).toISOString();
  await save({});
  await appendAudit(gw, {
    operator: options.operator,
    role: "operator",
    action: "master_key.rotate",
    outcome: "finished",
    target: gw.masterKeyId,
    count: progress.moved + progress.resealed,
    detail: `moved ${progress.moved}, resealed ${progress.resealed}, unmigratable ${progress.unmigratable}, conflicts ${progress.conflicts}`,
  });
  return progress;
}
