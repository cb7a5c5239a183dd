import type {
  ActivityKind,
  Consent,
  Contact,
  DeadlineKey,
  EmploymentForm,
  EventData,
  EventType,
  HomeOrganization,
  PoliticalStatus,
  Task,
  WorkerFact,
  WorkerRole,
} from "@gigbridge/schemas";
import type { RoutingTable } from "./routing.js";

/** Which signal set a fact: its `occurredAt`, and its id to break ties between equal times. */
export interface Stamp {
  at: string;
  signalId: string;
}

/** A place the worker had, from the signal that said so (the record keeps a few, newest last). */
export interface PlaceEntry extends Stamp {
  regionCode: string;
  stationId?: string;
  /** The org that covered the place when the entry was recorded, or null. */
  orgId: string | null;
}

/**
 * What the gateway keeps about one worker, keyed by the pseudonymous subject id. Personal fields
 * are present only under the consent scope that allows them: `politicalStatus` and
 * `homeOrganization` under `share_membership`, `contact` and `workerId` under `share_contact`.
 * Each fact carries the stamp of the signal that set it (`facts`); a signal changes a fact only if
 * it is newer, so the record does not depend on the order signals arrive in.
 */
export interface WorkerRecord {
  subjectId: string;
  platformId: string;
  /** Absent only while no signal has said where the worker works (an offboarding seen first). */
  regionCode?: string;
  stationId?: string;
  /** The org covering the worker's current place, or null if none did when the place was set. */
  orgId: string | null;
  role?: WorkerRole;
  employment?: EmploymentForm;
  politicalStatus?: PoliticalStatus;
  homeOrganization?: HomeOrganization;
  contact?: Contact;
  /** The platform's own worker id, kept only to put into tasks under `share_contact`. */
  workerId?: string;
  consent?: Consent;
  /** False after `worker.offboarded`, until the worker is onboarded again. */
  active: boolean;
  /** The newest `occurredAt` among the facts' stamps. */
  updatedAt: string;
  /** The stamp of each fact; a record stored before stamps existed has none (see `stampOf`). */
  facts?: { [F in WorkerFact]?: Stamp };
  /** The newest places the worker had, oldest first, at most `PLACE_HISTORY`; the last is the current one. */
  places?: PlaceEntry[];
}

/** What the gateway knows of a station from `station.updated`. */
export interface StationInfo {
  platformId: string;
  stationId: string;
  name: string;
  regionCode: string;
  headcount: number;
  updatedAt: string;
}

/** An outbound event to queue in the delivery outbox; the id makes enqueueing it twice send it once. */
export interface EventDraft<T extends EventType = EventType> {
  eventId: string;
  orgId: string;
  type: T;
  data: EventData<T>;
}

/** R7: one entry on a member's points ledger; the ledger keeps one entry per `activityId`. */
export interface PointsEntry {
  subjectId: string;
  orgId: string;
  activityId: string;
  kind: ActivityKind;
  hours: number;
  points: number;
  occurredAt: string;
  signalId: string;
}

/**
 * A change to a station's set of full members (R6). `candidate` is the `establish_organization`
 * task to create if this change brings the station to the threshold for the first time; the
 * count must be checked atomically in the store, so the rule cannot decide it alone.
 */
export interface StationChange {
  stationId: string;
  /** True: the subject is now a full member at the station; false: no longer. */
  present: boolean;
  candidate?: Task & { kind: "establish_organization" };
}

export interface RouteFailure {
  reason: "no_route";
  detail: string;
}

/** Everything a signal leads to. The processing stage applies it; rules never touch a store. */
export interface Decision {
  tasks: Task[];
  /** The worker record after the signal; absent when it does not change. */
  record?: WorkerRecord;
  events: EventDraft[];
  points?: PointsEntry;
  stations: StationChange[];
  /** `station.updated`: the station's new details. */
  station?: StationInfo;
  /** Facts the signal stated that were older than the record's: they changed nothing. */
  stale?: WorkerFact[];
  /** Present when the signal cannot be processed now; nothing else in the decision applies. */
  failure?: RouteFailure;
}

export type Deadlines = { readonly [K in DeadlineKey]: number };

/** Everything a rule may read besides the signal and the worker record. */
export interface RuleContext {
  platformId: string;
  /** The worker's subject id; empty for signals that concern no worker. */
  subjectId: string;
  table: RoutingTable;
  deadlines: Deadlines;
  /** Processing time in ms; tasks are created and their deadlines counted from it. */
  now: number;
  /** The worker's station as last reported by `station.updated`, if any (for R6 task details). */
  station?: StationInfo | undefined;
}

export function emptyDecision(): Decision {
  return { tasks: [], events: [], stations: [] };
}

export function failed(detail: string): Decision {
  return { ...emptyDecision(), failure: { reason: "no_route", detail } };
}
