/**
 * Redis keys of erasure. The tombstone and the per-subject indexes live under the worker's hash tag,
 * so processing checks the tombstone in the same script that commits the record, and erasure finds
 * everything a worker left behind by reading four sets instead of scanning Redis or the queues.
 * The indexes hold ids only (job, task, message, station ids), never personal data, and are kept
 * after an erasure so that a run that finishes late is cleaned up again.
 */
export const erasureKeys = {
  /** Hash, never expires: `erasureId`, `platformId`, `requestedAt`, `status`, `completedAt`. Its presence is final. */
  tombstone: (subjectId: string) => `gb:{w:${subjectId}}:erased`,
  /** Set: `signals` job ids (`<platform>|<signal id>`) of the worker's signals, added when processing starts. */
  signals: (subjectId: string) => `gb:{w:${subjectId}}:idx:signals`,
  /** Set: ids of the tasks about the worker, added before they are created. */
  tasks: (subjectId: string) => `gb:{w:${subjectId}}:idx:tasks`,
  /** Set: `<org>|<endpoint>|<message id>` of every webhook about the worker, added when it is queued. */
  messages: (subjectId: string) => `gb:{w:${subjectId}}:idx:messages`,
  /** Set: `<platform>/<station>` of every station the worker's signals placed it at. */
  stations: (subjectId: string) => `gb:{w:${subjectId}}:idx:stations`,
  /** String: erasure id -> `<platform> <subject>`, so `GET /v1/erasures/{id}` finds the tombstone. */
  lookup: (erasureId: string) => `gb:erasure:${erasureId}`,
} as const;
