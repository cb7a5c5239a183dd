import type { Job } from "bullmq";
import type { Gateway } from "../core/context.js";
import { decodeCursor, encodeCursor, isNumber, isString } from "../core/cursor.js";
import { NotFoundError } from "../core/errors.js";
import type { Failure, FailureDetail, FailureFilter, OpsQueue } from "./schemas.js";
import { type FailureSource, parseItemId, sources } from "./sources.js";

/**
 * Reading failed work. The source of truth is each queue's BullMQ failed set, a
 * sorted set scored by the time the job failed: a replayed job leaves it by
 * itself, so there is no second index to keep in step. Items are ordered newest
 * first by (failure time, item id); a cursor is a position in that order, so
 * pages stay stable while failures are added or replayed. Time bounds map to
 * score ranges; the other filters are checked on each job.
 */

/** A place in the newest-first order: the failure time and the item id. */
export interface Position {
  score: number;
  id: string;
}

export interface Match {
  failure: Failure;
  job: Job;
  source: FailureSource;
  position: Position;
}

export interface Chunk {
  matches: Match[];
  /** Failed-set entries looked at for this chunk (matching or not). */
  examined: number;
  /** The last entry looked at; a scan resumed from here continues after it. */
  last: Position;
}

/** Entries read from a failed set per round trip, and jobs loaded at once. */
const CHUNK = 200;

/** A failure list's position: the last failure's failed-set score and job id. */
function readFailureCursor([score, id]: unknown[]): Position | undefined {
  return isNumber(score) && isString(id) ? { score, id } : undefined;
}

const cursorOf = (position: Position) => encodeCursor([position.score, position.id]);

/** Byte order, as Redis orders members of equal score. */
function compareIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** Newest first: higher score first, then the larger id (as ZRANGE ... REV gives). */
function before(a: Position, b: Position): boolean {
  return a.score !== b.score ? a.score > b.score : compareIds(a.id, b.id) > 0;
}

export function timeRange(filter: FailureFilter): { min: number; max: number } {
  const min = filter.since ? Date.parse(filter.since) : Number.NEGATIVE_INFINITY;
  const max = filter.until ? Date.parse(filter.until) : Number.POSITIVE_INFINITY;
  return { min, max };
}

const bound = (n: number) =>
  n === Number.POSITIVE_INFINITY ? "+inf" : n === Number.NEGATIVE_INFINITY ? "-inf" : String(n);

/** The queues a filter can match: a filter on a field a queue does not have rules the queue out. */
export function sourcesFor(filter: FailureFilter): FailureSource[] {
  return (Object.keys(sources) as OpsQueue[])
    .filter((q) => !filter.queue || filter.queue === q)
    .map((q) => sources[q])
    .filter((s) =>
      (["platformId", "orgId", "endpointId"] as const).every((f) => !filter[f] || s.fields.has(f)),
    );
}

/** Whether a described failure passes the filter's per-job fields (time and queue are handled by the scan). */
export function passes(failure: Failure, filter: FailureFilter): boolean {
  return (
    (!filter.reason || failure.reason === filter.reason) &&
    (!filter.platformId || failure.platformId === filter.platformId) &&
    (!filter.orgId || failure.orgId === filter.orgId) &&
    (!filter.endpointId || failure.endpointId === filter.endpointId) &&
    (!filter.type || failure.type === filter.type)
  );
}

/** True when a filter selects by time and queue only, so counting needs no job reads. */
function countableByScore(filter: FailureFilter): boolean {
  return !filter.reason && !filter.platformId && !filter.orgId && !filter.endpointId && !filter.type;
}

function failedKey(gw: Gateway, source: FailureSource): string {
  return gw.queue(source.queue).keys.failed as string;
}

/** Reads one failed set newest first, strictly after a position. */
class FailedSetReader {
  private buffer: Position[] = [];
  private exhausted = false;

  constructor(
    private readonly gw: Gateway,
    readonly source: FailureSource,
    private readonly range: { min: number; max: number },
    private position: Position | undefined,
  ) {}

  async head(): Promise<Position | undefined> {
    if (this.buffer.length === 0 && !this.exhausted) await this.fill();
    return this.buffer[0];
  }

  take(): Position {
    const next = this.buffer.shift() as Position;
    this.position = next;
    return next;
  }

  /**
   * Reads from the current position's score downwards. Members of that score
   * at or before the position were seen already and are skipped; if a whole
   * read is such members (many failures in one millisecond), it reads more.
   */
  private async fill(): Promise<void> {
    const key = failedKey(this.gw, this.source);
    const prefix = `${this.source.queue}:`;
    const max = this.position ? Math.min(this.position.score, this.range.max) : this.range.max;
    for (let limit = CHUNK; ; limit *= 4) {
      const raw = await this.gw.redis.zrange(
        key,
        bound(max),
        bound(this.range.min),
        "BYSCORE",
        "REV",
        "LIMIT",
        0,
        limit,
        "WITHSCORES",
      );
      const read: Position[] = [];
      for (let i = 0; i + 1 < raw.length; i += 2)
        read.push({ id: prefix + raw[i], score: Number(raw[i + 1]) });
      const at = this.position;
      const fresh = at ? read.filter((p) => before(at, p)) : read;
      if (fresh.length > 0 || read.length < limit) {
        this.buffer = fresh;
        this.exhausted = fresh.length === 0;
        return;
      }
    }
  }
}

/**
 * Walks every failure the filter selects, newest first, strictly after
 * `after`, in chunks (one round trip per set read and one for the chunk's
 * jobs). Jobs that vanished between the read and the load are skipped.
 */
export async function* scanFailures(
  gw: Gateway,
  filter: FailureFilter,
  after?: Position,
): AsyncGenerator<Chunk> {
  const range = timeRange(filter);
  const readers = sourcesFor(filter).map((s) => new FailedSetReader(gw, s, range, after));
  for (;;) {
    const picked: { reader: FailedSetReader; position: Position }[] = [];
    while (picked.length < CHUNK) {
      let best: { reader: FailedSetReader; position: Position } | undefined;
      for (const reader of readers) {
        const head = await reader.head();
        if (head && (!best || before(head, best.position))) best = { reader, position: head };
      }
      if (!best) break;
      best.reader.take();
      picked.push(best);
    }
    if (picked.length === 0) return;
    const jobs = await Promise.all(
      picked.map(({ reader, position }) =>
        gw.queue(reader.source.queue).getJob(position.id.slice(reader.source.queue.length + 1)),
      ),
    );
    const matches: Match[] = [];
    picked.forEach(({ reader, position }, i) => {
      const job = jobs[i];
      if (!job) return;
      const failure = reader.source.describe(job, position.score);
      if (passes(failure, filter)) matches.push({ failure, job, source: reader.source, position });
    });
    yield { matches, examined: picked.length, last: (picked.at(-1) as (typeof picked)[number]).position };
  }
}

export interface FailurePage {
  items: Failure[];
  nextCursor: string | null;
  /** Deprecated alias of `nextCursor`, kept for one minor version. */
  next: string | null;
}

const page = (items: Failure[], nextCursor: string | null): FailurePage => ({
  items,
  nextCursor,
  next: nextCursor,
});

/** Failed-set entries one page request looks at, at most: a selective filter cannot make a request slow. */
export const PAGE_SCAN_BUDGET = 5000;

/** One page of failures. */
export async function listFailures(
  gw: Gateway,
  filter: FailureFilter,
  options: { cursor?: string; limit: number; budget?: number },
): Promise<FailurePage> {
  const after = options.cursor ? decodeCursor(options.cursor, readFailureCursor) : undefined;
  const budget = options.budget ?? PAGE_SCAN_BUDGET;
  const items: Failure[] = [];
  let examined = 0;
  for await (const chunk of scanFailures(gw, filter, after)) {
    for (const match of chunk.matches) {
      items.push(match.failure);
      if (items.length === options.limit) return page(items, cursorOf(match.position));
    }
    examined += chunk.examined;
    if (examined >= budget) return page(items, cursorOf(chunk.last));
  }
  return page(items, null);
}

/** How many failures the filter selects now. */
export async function countFailures(gw: Gateway, filter: FailureFilter): Promise<number> {
  if (countableByScore(filter)) {
    const { min, max } = timeRange(filter);
    const counts = await Promise.all(
      sourcesFor(filter).map((s) => gw.redis.zcount(failedKey(gw, s), bound(min), bound(max))),
    );
    return counts.reduce((a, b) => a + b, 0);
  }
  let count = 0;
  for await (const chunk of scanFailures(gw, filter)) count += chunk.matches.length;
  return count;
}

/** How many of these item ids are failed now. */
export async function countFailedIds(gw: Gateway, ids: readonly string[]): Promise<number> {
  const scores = await Promise.all(
    ids.map((id) => {
      const { source, jobId } = parseItemId(id);
      return gw.redis.zscore(failedKey(gw, source), jobId);
    }),
  );
  return scores.filter((s) => s !== null).length;
}

/** One failure with its attempts; 404 unless the item is failed now. */
export async function getFailure(gw: Gateway, id: string): Promise<FailureDetail> {
  const { source, jobId } = parseItemId(id);
  const [score, job] = await Promise.all([
    gw.redis.zscore(failedKey(gw, source), jobId),
    gw.queue(source.queue).getJob(jobId),
  ]);
  if (score === null || !job)
    throw new NotFoundError(`No failed item ${id}; it may have been replayed or removed.`);
  return source.detail(gw, job, Number(score));
}
