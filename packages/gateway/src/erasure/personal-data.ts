import {
  type ErasureStep,
  eraseDeliveries,
  eraseSignals,
  eraseStations,
  eraseTasks,
  eraseWorkerState,
  notifyOrgs,
} from "./erase.js";

/**
 * Every place the gateway keeps a worker's personal data (worker id, name, phone, appeal summary,
 * notes) or ties the worker to a place, and the erasure step that clears it. Erasure runs exactly
 * these steps; `personal-data.test.ts` runs the whole pipeline with a worker whose data is
 * recognizable, scans every Redis key, and fails if personal data sits in a key no entry matches.
 * A new key holding personal data must be added here, with the step that erases it.
 */
export interface PersonalData {
  /** The key as docs/architecture.md writes it. */
  where: string;
  /** Matches the Redis keys of this kind. */
  match: RegExp;
  holds: string;
  /** What erasure does to it. */
  erasure: string;
  step: ErasureStep;
}

const W = String.raw`^gb:\{w:[^}]+\}`;

export const personalData: readonly PersonalData[] = [
  {
    where: "gb:{w:<subject>}:record",
    match: new RegExp(`${W}:record$`),
    holds: "worker id, name, phone, political status, home organization, consent",
    erasure: "deleted",
    step: eraseWorkerState,
  },
  {
    where: "gb:{w:<subject>}:decision:<signal id>",
    match: new RegExp(`${W}:decision:`),
    holds: "the record and tasks a signal led to",
    erasure: "deleted",
    step: eraseWorkerState,
  },
  {
    where: "gb:{w:<subject>}:points, …:points:order",
    match: new RegExp(`${W}:points(:order)?$`),
    holds: "ledger entries (activity and signal ids)",
    erasure: "deleted; the balance `…:points:balance` stays under the subject",
    step: eraseWorkerState,
  },
  {
    where: "gb:{p:<platform>}:signal:<id>",
    match: /^gb:\{p:[^}]+\}:signal:/,
    holds: "the signal's status, with a free-text failure detail",
    erasure: "`failureDetail` deleted; status, type and times stay",
    step: eraseSignals,
  },
  {
    where: "{gb:signals}:signals:<platform>|<signal id> (BullMQ job, any state)",
    match: /^\{gb:signals\}:signals:[^:|]+\|[^:]+$/,
    holds: "the whole signal",
    erasure: "data replaced by `{platformId, receivedAt, signal: {id, type, occurredAt}, erased}`",
    step: eraseSignals,
  },
  {
    where: "gb:{o:<org>}:task:<task id>",
    match: /^gb:\{o:[^}]+\}:task:/,
    holds: "worker id, contact, appeal summary, the org's note and cancel reason",
    erasure: "kept; worker id and contact removed, free text `[erased]`, `erasedAt` set",
    step: eraseTasks,
  },
  {
    where: "{gb:deliveries}:deliveries:<message id> (BullMQ job, any state)",
    match: /^\{gb:deliveries\}:deliveries:msg_[0-9a-f]+$/,
    holds: "the task inside `task.*` webhooks",
    erasure: "the task in the data replaced as above, so a replay sends nothing personal",
    step: eraseDeliveries,
  },
  {
    where: "gb:{eo:<org>}:ep:<endpoint>:attempts, gb:{eo:<org>}:msg:<message id>:attempts",
    match: /^gb:\{eo:[^}]+\}:(ep|msg):[^:]+:attempts$/,
    holds: "receivers' responses, which may echo what they were sent",
    erasure: "`response` of the worker's messages replaced by `[erased]`",
    step: eraseDeliveries,
  },
  {
    where: "gb:{st:<platform>/<station>}:members, …:versions",
    match: /^gb:\{st:[^}]+\}:(members|versions)$/,
    holds: "the subject at the station (R6 counts)",
    erasure: "the subject removed",
    step: eraseStations,
  },
];

/** The steps of an erasure, in order: each registry step once, then the orgs are told. */
export const erasureSteps: readonly ErasureStep[] = [...new Set(personalData.map((p) => p.step)), notifyOrgs];
