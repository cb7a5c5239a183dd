/**
 * Redis keys of the processing stage. A worker's record, the decisions taken for its signals and
 * its points ledger share the subject's hash tag, so one script can update them together; a
 * station's full-member set and its R6 flag share the station's.
 */
export const workerKeys = {
  /** Hash: `json` (the WorkerRecord) and `v` (a version bumped on every change). */
  record: (subjectId: string) => `gb:{w:${subjectId}}:record`,
  /** Hash: `json` (the Decision taken for the signal) and `v` (the record version it produced). */
  decision: (subjectId: string, signalId: string) => `gb:{w:${subjectId}}:decision:${signalId}`,
  /** Hash: activity id -> points entry JSON (with the balance after it). */
  ledger: (subjectId: string) => `gb:{w:${subjectId}}:points`,
  /** Sorted set: activity ids by entry order (score: a running sequence). */
  ledgerOrder: (subjectId: string) => `gb:{w:${subjectId}}:points:order`,
  /** String: the points balance. */
  balance: (subjectId: string) => `gb:{w:${subjectId}}:points:balance`,
} as const;

function station(platformId: string, stationId: string): string {
  return `gb:{st:${platformId}/${stationId}}`;
}

export const stationKeys = {
  /** Hash: the station's details from its last `station.updated`. */
  info: (platformId: string, stationId: string) => `${station(platformId, stationId)}:info`,
  /** Set: subject ids of the full members at the station now. */
  members: (platformId: string, stationId: string) => `${station(platformId, stationId)}:members`,
  /** Hash: subject id -> the record version that last set its presence (stale changes lose). */
  versions: (platformId: string, stationId: string) => `${station(platformId, stationId)}:versions`,
  /** Hash: set once when R6 fires: `by` (platform|signal), `taskId`, `count`. */
  established: (platformId: string, stationId: string) => `${station(platformId, stationId)}:r6`,
} as const;
