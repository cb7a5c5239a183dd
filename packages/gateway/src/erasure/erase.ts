import type { Task } from "@gigbridge/schemas";
import type { Job } from "bullmq";
import type { Gateway } from "../core/context.js";
import { keys } from "../core/keys.js";
import { Script } from "../core/script.js";

import { deliveryKeys } from "../delivery/keys.js";
import type { DeliveryJobData } from "../delivery/outbox.js";
import { type SignalJob, signalJobId } from "../ingest/intake.js";
import { stationKeys, workerKeys } from "../processing/keys.js";
import { eventId } from "../rules/ids.js";
import { outbox } from "../tasks/events.js";
import { taskKeys } from "../tasks/keys.js";
import { erasureKeys } from "./keys.js";
import { ERASED, type ErasedSignalJob, erasedDelivery, erasedSignalJob, erasedTask } from "./scrub.js";

/** How much one run of an erasure removed, for the audit log (never shown to the platform). */
export interface ErasureCounts {
  /** Worker record, decisions and ledger entries deleted. */
  keys: number;
  signalJobs: number;
  signalStatuses: number;
  tasks: number;
  deliveryJobs: number;
  attemptLogs: number;
  stations: number;
  /** Orgs told with `worker.erased`. */
  orgs: number;
}

/** What the worker's indexes say it left behind. */
interface Traces {
  subjectId: string;
  signalJobs: string[];
  tasks: string[];
  messages: { orgId: string; endpointId: string; msgId: string }[];
  stations: { platformId: string; stationId: string }[];
  at: string;
}

/** One step of an erasure: each removes one kind of personal data, and running it again changes nothing. */
export type ErasureStep = (gw: Gateway, traces: Traces, counts: ErasureCounts) => Promise<void>;

/**
 * Removes every trace of a worker's personal data that its indexes lead to. Run by the erasure job
 * after the tombstone is set, and again by any signal processing that finds the tombstone after it
 * wrote (a signal in flight when the erasure ran): whatever it wrote is indexed before it was
 * written, so the last run leaves nothing. `steps` is the list from the personal-data registry.
 */
export async function eraseSubject(
  gw: Gateway,
  platformId: string,
  subjectId: string,
  steps: readonly ErasureStep[],
): Promise<ErasureCounts> {
  const [waiting, signalJobs, tasks, messages, stations] = await Promise.all([
    // Signals no worker has picked up yet: `<subject> <signal id>` entries, found by a lex range.
    gw.redis.zrangebylex(keys.queued(platformId), `[${subjectId} `, `(${subjectId}!`),
    gw.redis.smembers(erasureKeys.signals(subjectId)),
    gw.redis.smembers(erasureKeys.tasks(subjectId)),
    gw.redis.smembers(erasureKeys.messages(subjectId)),
    gw.redis.smembers(erasureKeys.stations(subjectId)),
  ]);
  const traces: Traces = {
    subjectId,
    signalJobs: [
      ...new Set([
        ...signalJobs,
        ...waiting.map((entry) => signalJobId(platformId, entry.slice(entry.indexOf(" ") + 1))),
      ]),
    ],
    tasks,
    messages: messages.map((m) => {
      const [orgId = "", endpointId = "", msgId = ""] = m.split("|");
      return { orgId, endpointId, msgId };
    }),
    stations: stations.map((s) => {
      const at = s.indexOf("/");
      return { platformId: s.slice(0, at), stationId: s.slice(at + 1) };
    }),
    at: new Date(gw.now()).toISOString(),
  };
  const counts: ErasureCounts = {
    keys: 0,
    signalJobs: 0,
    signalStatuses: 0,
    tasks: 0,
    deliveryJobs: 0,
    attemptLogs: 0,
    stations: 0,
    orgs: 0,
  };
  for (const step of steps) await step(gw, traces, counts);
  return counts;
}

/** `<platform>|<signal id>` as `signalJobId` wrote it. */
function parseSignalJobId(jobId: string): { platformId: string; signalId: string } {
  const at = jobId.indexOf("|");
  return { platformId: jobId.slice(0, at), signalId: jobId.slice(at + 1).replaceAll("%3A", ":") };
}

/** The worker record (worker id, contact), the decisions taken for its signals, and its points ledger entries. */
export const eraseWorkerState: ErasureStep = async (gw, traces, counts) => {
  const { subjectId } = traces;
  // The balance stays under the pseudonymous subject; the entries (activity ids, signal ids) go.
  const doomed = [
    workerKeys.record(subjectId),
    workerKeys.ledger(subjectId),
    workerKeys.ledgerOrder(subjectId),
    ...traces.signalJobs.map((jobId) => workerKeys.decision(subjectId, parseSignalJobId(jobId).signalId)),
  ];
  // One slot (the worker's hash tag), so one DEL, in slices to keep each command small.
  for (let i = 0; i < doomed.length; i += 500) counts.keys += await gw.redis.del(...doomed.slice(i, i + 500));
};

/** The worker's `signals` jobs in any state, and the free-text detail on their statuses. */
export const eraseSignals: ErasureStep = async (gw, traces, counts) => {
  const queue = gw.queue("signals");
  for (const jobId of traces.signalJobs) {
    const job = (await queue.getJob(jobId)) as Job<SignalJob | ErasedSignalJob> | undefined;
    if (job?.data && !("erased" in job.data)) {
      await job.updateData(erasedSignalJob(job.data, traces.subjectId)).catch(ignoreRemoved);
      counts.signalJobs += 1;
    }
    const { platformId, signalId } = parseSignalJobId(jobId);
    counts.signalStatuses += Number(
      await ERASE_DETAIL.run(gw.redis, [keys.signal(platformId, signalId)], []),
    );
  }
};

/** Drops a status's free-text detail, except the one that explains an `erased` refusal (it names no one). */
const ERASE_DETAIL = new Script(`
if redis.call('HGET', KEYS[1], 'failureReason') == 'erased' then return 0 end
return redis.call('HDEL', KEYS[1], 'failureDetail')
`);

/** A job removed between reading and updating it holds nothing any more: not an error. */
function ignoreRemoved(error: unknown): void {
  if (error instanceof Error && /Missing key|does not exist/i.test(error.message)) return;
  throw error;
}

/**
 * Replaces a task's JSON only if it is still the JSON that was read, so an org's concurrent
 * acknowledge is not lost (the loser reads again). KEYS: task hash. ARGV: read JSON, new JSON.
 */
const REPLACE_TASK = new Script(`
if redis.call('HGET', KEYS[1], 'json') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2])
return 1
`);

/** The worker's tasks, open and closed: kept, with personal fields replaced by the marker. */
export const eraseTasks: ErasureStep = async (gw, traces, counts) => {
  for (const taskId of traces.tasks) {
    const orgId = await gw.redis.get(taskKeys.owner(taskId));
    if (!orgId) continue;
    const key = taskKeys.task(orgId, taskId);
    for (;;) {
      const json = await gw.redis.hget(key, "json");
      if (!json) break;
      const task = JSON.parse(json) as Task;
      if (task.erasedAt !== undefined) break;
      const replaced = await REPLACE_TASK.run(
        gw.redis,
        [key],
        [json, JSON.stringify(erasedTask(task, traces.at))],
      );
      if (replaced === 1) {
        counts.tasks += 1;
        break;
      }
    }
  }
};

/**
 * Rewrites attempt-log entries of the given messages with the receiver's response replaced by the
 * marker (a receiver may echo what it was sent), and notes the messages as erased so an attempt in
 * flight right now logs no response either (see `settleAttempt`). KEYS: the org's erased-messages
 * set, then log lists of the org. ARGV: marker, lifetime of the set (ms), message ids.
 */
const ERASE_ATTEMPTS = new Script(`
local ids = {}
for i = 3, #ARGV do
  ids[ARGV[i]] = true
  redis.call('SADD', KEYS[1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local changed = 0
for k = 2, #KEYS do
  local key = KEYS[k]
  local entries = redis.call('LRANGE', key, 0, -1)
  for i, raw in ipairs(entries) do
    local entry = cjson.decode(raw)
    if ids[entry.messageId] and entry.response ~= ARGV[1] then
      entry.response = ARGV[1]
      redis.call('LSET', key, i - 1, cjson.encode(entry))
      changed = changed + 1
    end
  end
end
return changed
`);

/** Webhook jobs about the worker in any state (so a replay sends nothing personal), and their attempt logs. */
export const eraseDeliveries: ErasureStep = async (gw, traces, counts) => {
  const queue = gw.queue("deliveries");
  const byOrg = new Map<string, { endpoints: Set<string>; messages: string[] }>();
  for (const { orgId, endpointId, msgId } of traces.messages) {
    const job = (await queue.getJob(msgId)) as Job<DeliveryJobData> | undefined;
    if (job?.data) {
      const erased = erasedDelivery(job.data, traces.at);
      if (erased !== job.data) {
        await job.updateData(erased).catch(ignoreRemoved);
        counts.deliveryJobs += 1;
      }
    }
    const org = byOrg.get(orgId) ?? { endpoints: new Set(), messages: [] };
    org.endpoints.add(endpointId);
    org.messages.push(msgId);
    byOrg.set(orgId, org);
  }
  for (const [orgId, { endpoints, messages }] of byOrg) {
    const logs = [
      ...[...endpoints].map((e) => deliveryKeys.endpointAttempts(orgId, e)),
      ...messages.map((m) => deliveryKeys.messageAttempts(orgId, m)),
    ];
    counts.attemptLogs += Number(
      await ERASE_ATTEMPTS.run(
        gw.redis,
        [deliveryKeys.erasedMessages(orgId), ...logs],
        [ERASED, gw.config.retention.attempts, ...messages],
      ),
    );
  }
};

/** The worker's place in station member sets (R6 counts). */
export const eraseStations: ErasureStep = async (gw, traces, counts) => {
  for (const { platformId, stationId } of traces.stations) {
    const [removed] = (await gw.redis
      .multi()
      .srem(stationKeys.members(platformId, stationId), traces.subjectId)
      .hdel(stationKeys.versions(platformId, stationId), traces.subjectId)
      .exec()) as [[Error | null, number], [Error | null, number]];
    counts.stations += removed[1] ?? 0;
  }
};

/**
 * `worker.erased` to each org holding tasks about the worker, with only the subject id and that
 * org's task ids. The event id covers the task ids, so a later run that found more tasks tells the
 * org again and a run that found the same tells it nothing new.
 */
export const notifyOrgs: ErasureStep = async (gw, traces, counts) => {
  const byOrg = new Map<string, string[]>();
  for (const taskId of traces.tasks) {
    const orgId = await gw.redis.get(taskKeys.owner(taskId));
    if (orgId) byOrg.set(orgId, [...(byOrg.get(orgId) ?? []), taskId]);
  }
  const emit = outbox(gw);
  for (const [orgId, taskIds] of byOrg) {
    taskIds.sort();
    await emit({
      eventId: eventId("worker.erased", traces.subjectId, orgId, ...taskIds),
      orgId,
      type: "worker.erased",
      data: { subjectId: traces.subjectId, taskIds },
    });
    counts.orgs += 1;
  }
};
