import type { Signal, SignalOf, WorkerFact } from "@gigbridge/schemas";
import { workerFacts } from "@gigbridge/schemas";
import type { RecordChange } from "./change.js";
import type { PlaceEntry, RuleContext, Stamp, WorkerRecord } from "./decision.js";
import { allows } from "./record.js";
import { route } from "./routing.js";

/** Places the record remembers, so an appeal raised last week is routed by where the worker was then. */
export const PLACE_HISTORY = 8;

/** Orders stamps by `occurredAt` (as instants, whatever the offset), then by signal id. */
export function compareStamps(a: Stamp, b: Stamp): number {
  const byTime = Date.parse(a.at) - Date.parse(b.at);
  if (byTime !== 0) return byTime;
  return a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0;
}

/**
 * The stamp of a fact on the record, or undefined if no signal has stated it. A record stored
 * before stamps existed counts all its facts as set at its `updatedAt`.
 */
export function stampOf(record: WorkerRecord | null, fact: WorkerFact): Stamp | undefined {
  if (!record) return undefined;
  if (!record.facts) return { at: record.updatedAt, signalId: "" };
  return record.facts[fact];
}

/** What one signal says about one fact; `apply` writes it onto the record. */
interface Statement {
  fact: WorkerFact;
  apply(record: WorkerRecord): void;
}

/**
 * The record after a signal that states facts (`worker.onboarded`, `membership.declared`,
 * `worker.relocated`, `worker.offboarded`): each fact the signal states replaces the record's only
 * if the signal is newer than the signal that set it (last writer wins by `occurredAt`, ties by
 * signal id); the others are reported as stale. Any order of the same signals gives the same record.
 * A place is added to the place history even when stale: it is still where the worker was then.
 * `next` is `prev` itself when nothing changed.
 */
export function mergeSignal(signal: Signal, prev: WorkerRecord | null, ctx: RuleContext): RecordChange {
  const stamp: Stamp = { at: signal.occurredAt, signalId: signal.id };
  const place = placeOf(signal, stamp, ctx);
  const statements = statementsOf(signal, place);
  if (statements.length === 0 && !place) return { prev, next: prev, stale: [] };

  const next = startFrom(prev, ctx, stamp);
  const stale: WorkerFact[] = [];
  let changed = prev === null;
  for (const statement of statements) {
    const current = stampOf(prev, statement.fact);
    if (current && compareStamps(stamp, current) <= 0) {
      stale.push(statement.fact);
      continue;
    }
    statement.apply(next);
    next.facts = { ...next.facts, [statement.fact]: stamp };
    changed = true;
  }
  if (place) changed = addPlace(next, place) || changed;
  if (!changed) return { prev, next: prev, stale };
  settle(next, signal);
  return { prev, next, stale };
}

/** The place the worker had at `at`, if the record knows it, else the current place, else null. */
export function placeAt(
  record: WorkerRecord | null,
  at: string,
): { regionCode: string; stationId?: string | undefined } | null {
  if (!record) return null;
  const time = Date.parse(at);
  const known = (record.places ?? []).filter((entry) => Date.parse(entry.at) <= time).at(-1);
  if (known) return { regionCode: known.regionCode, stationId: known.stationId };
  if (record.regionCode === undefined) return null;
  return { regionCode: record.regionCode, stationId: record.stationId };
}

function statementsOf(signal: Signal, place: PlaceEntry | null): Statement[] {
  const where = place ? [placeStatement(place)] : [];
  switch (signal.type) {
    case "worker.onboarded":
      return [
        ...where,
        {
          fact: "employment",
          apply(record) {
            record.active = true;
            record.role = signal.data.role;
            record.employment = signal.data.employment;
          },
        },
        ...declarationStatements(signal),
      ];
    case "membership.declared":
      return [...where, ...declarationStatements(signal)];
    case "worker.relocated":
      return where;
    case "worker.offboarded":
      // Offboarding ends the reason to hold contact details: the `update_roster` task carries them one last time.
      return [
        {
          fact: "employment",
          apply(record) {
            // Role and form describe the work the worker left; a re-onboarding states them again.
            record.active = false;
            delete record.role;
            delete record.employment;
          },
        },
        {
          fact: "contact",
          apply(record) {
            delete record.contact;
          },
        },
      ];
    default:
      return [];
  }
}

function placeStatement(place: PlaceEntry): Statement {
  return {
    fact: "place",
    apply(record) {
      record.regionCode = place.regionCode;
      delete record.stationId;
      if (place.stationId !== undefined) record.stationId = place.stationId;
      record.orgId = place.orgId;
    },
  };
}

/**
 * What a declaration says about consent, membership and contact. A consent sent with the signal
 * replaces the one on file, and a scope it lacks clears what that scope covered, as of the
 * signal's time: a worker who narrows their consent loses the fields it no longer covers. A status
 * sent without `share_membership` (only `none` can be) is not stored and clears the status on file.
 * What a signal does not mention, it does not state.
 */
function declarationStatements(
  signal: SignalOf<"worker.onboarded"> | SignalOf<"membership.declared">,
): Statement[] {
  const { consent, politicalStatus, homeOrganization, contact } = signal.data;
  const statements: Statement[] = [];
  if (consent) {
    statements.push({
      fact: "consent",
      apply(record) {
        record.consent = consent;
      },
    });
  }

  const clearMembership = (record: WorkerRecord) => {
    delete record.politicalStatus;
    delete record.homeOrganization;
  };
  if (consent && !allows(consent, "share_membership")) {
    statements.push({ fact: "membership", apply: clearMembership });
  } else if (politicalStatus !== undefined) {
    statements.push({
      fact: "membership",
      apply(record) {
        clearMembership(record);
        if (!allows(consent, "share_membership")) return;
        record.politicalStatus = politicalStatus;
        if (homeOrganization !== undefined) record.homeOrganization = homeOrganization;
      },
    });
  } else if (homeOrganization !== undefined) {
    // A home organization alone (an onboarding without a status) updates it and keeps the status.
    statements.push({
      fact: "membership",
      apply(record) {
        record.homeOrganization = homeOrganization;
      },
    });
  }

  if (consent && !allows(consent, "share_contact")) {
    statements.push({
      fact: "contact",
      apply(record) {
        delete record.contact;
      },
    });
  } else if (contact !== undefined) {
    statements.push({
      fact: "contact",
      apply(record) {
        record.contact = contact;
      },
    });
  }
  return statements;
}

function placeOf(signal: Signal, stamp: Stamp, ctx: RuleContext): PlaceEntry | null {
  let place: { regionCode: string; stationId?: string | undefined };
  switch (signal.type) {
    case "worker.onboarded":
    case "membership.declared":
      place = signal.data;
      break;
    case "worker.relocated":
      place = signal.data.to;
      break;
    default:
      return null;
  }
  const { regionCode, stationId } = place;
  const orgId = route(ctx.table, { platformId: ctx.platformId, regionCode, stationId })?.org.id ?? null;
  return { ...stamp, regionCode, ...(stationId !== undefined ? { stationId } : {}), orgId };
}

/** Adds a place to the history in stamp order, keeping the newest; false if it was there or too old to keep. */
function addPlace(record: WorkerRecord, entry: PlaceEntry): boolean {
  const places = record.places ?? [];
  if (places.some((known) => known.signalId === entry.signalId && known.at === entry.at)) return false;
  const merged = [...places, entry].sort(compareStamps).slice(-PLACE_HISTORY);
  if (!merged.includes(entry)) return false;
  record.places = merged;
  return true;
}

function startFrom(prev: WorkerRecord | null, ctx: RuleContext, stamp: Stamp): WorkerRecord {
  if (!prev) {
    return {
      subjectId: ctx.subjectId,
      platformId: ctx.platformId,
      orgId: null,
      active: true,
      updatedAt: stamp.at,
      facts: {},
    };
  }
  // The record as JSON would store it: no keys holding `undefined`.
  const next = JSON.parse(JSON.stringify(prev)) as WorkerRecord;
  if (!next.facts) {
    // A record from before stamps: every fact it holds counts as set at its `updatedAt`.
    const legacy: Stamp = { at: prev.updatedAt, signalId: "" };
    next.facts = Object.fromEntries(workerFacts.map((fact: WorkerFact) => [fact, legacy]));
    if (prev.regionCode !== undefined && !next.places) {
      const { regionCode, stationId, orgId } = prev;
      next.places = [{ ...legacy, regionCode, ...(stationId !== undefined ? { stationId } : {}), orgId }];
    }
  }
  return next;
}

/**
 * Keeps personal fields only under the consent on file, the raw worker id only while the worker
 * may be identified (on the platform, `share_contact`), and `updatedAt` at the newest stamp.
 */
function settle(record: WorkerRecord, signal: Signal): void {
  if (!allows(record.consent, "share_membership")) {
    delete record.politicalStatus;
    delete record.homeOrganization;
  }
  if (!allows(record.consent, "share_contact")) delete record.contact;
  delete record.workerId;
  if (record.active && allows(record.consent, "share_contact") && signal.type !== "station.updated")
    record.workerId = signal.data.workerId;
  const stamps = Object.values(record.facts ?? {}).filter((stamp): stamp is Stamp => stamp !== undefined);
  const newest = stamps.reduce<Stamp | undefined>(
    (max, stamp) => (!max || compareStamps(stamp, max) > 0 ? stamp : max),
    undefined,
  );
  if (newest) record.updatedAt = newest.at;
}
