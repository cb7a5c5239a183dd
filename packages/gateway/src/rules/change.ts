import type { WorkerFact } from "@gigbridge/schemas";
import type { WorkerRecord } from "./decision.js";

/**
 * The worker record before a signal and after it (the same object when the signal changes nothing),
 * and the facts the signal stated that were older than the record's, so they changed nothing.
 */
export interface RecordChange {
  prev: WorkerRecord | null;
  next: WorkerRecord | null;
  stale?: readonly WorkerFact[];
}
