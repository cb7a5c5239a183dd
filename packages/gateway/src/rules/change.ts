import type { WorkerRecord } from "./decision.js";

/** The worker record before a signal and after it (the same object when the signal changes nothing). */
export interface RecordChange {
  prev: WorkerRecord | null;
  next: WorkerRecord | null;
}
