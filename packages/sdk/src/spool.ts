import { createHash } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { opendir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Signal } from "@gigbridge/schemas";

export interface SpoolOptions {
  /** Directory for one file per queued signal. Created if missing. Use one directory per client. */
  dir: string;
  /**
   * fsync each file and the directory before `enqueue` returns (default true). Without it a
   * killed process still loses nothing, but a power cut may.
   */
  fsync?: boolean;
}

/** One item of `Spool.recover()`: a signal to re-send, or the name of a file set aside as unreadable. */
export type RecoveredItem = { signal: Signal } | { corrupt: string };

interface SpoolRecord {
  signal: Signal;
  spooledAt: number;
}

const TEMP_PREFIX = ".tmp-";
const SUFFIX = ".json";

/**
 * A durable, file-per-signal write-ahead log for the batching queue: a signal is on disk
 * before `enqueue` returns and leaves the disk only once the gateway has acknowledged it
 * (or refused it for good). Writes are synchronous on purpose: when `enqueue` returns,
 * the signal survives SIGKILL. Re-sending after a crash is safe because the gateway
 * treats the signal id as the idempotency key.
 */
export class Spool {
  readonly dir: string;
  private readonly fsync: boolean;
  private counter = 0;
  /** Ids this instance wrote and has not removed: recovery must not queue them a second time. */
  private readonly live = new Set<string>();

  constructor(options: SpoolOptions) {
    this.dir = options.dir;
    this.fsync = options.fsync ?? true;
    mkdirSync(this.dir, { recursive: true });
  }

  private pathOf(id: string): string {
    // Ids come from callers; encoding keeps "/" and friends out of the file name. An id whose
    // encoding would exceed common 255-byte name limits is named by its hash instead; "%s"
    // cannot come out of encodeURIComponent, so the two kinds of name never collide.
    const encoded = encodeURIComponent(id);
    const name = encoded.length <= 200 ? encoded : `%sha256-${createHash("sha256").update(id).digest("hex")}`;
    return join(this.dir, `${name}${SUFFIX}`);
  }

  /** Writes to a temporary name, fsyncs, then renames, so a file is either whole or absent. */
  write(signal: Signal): void {
    const record: SpoolRecord = { signal, spooledAt: Date.now() };
    const temp = join(this.dir, `${TEMP_PREFIX}${process.pid}-${this.counter++}`);
    const fd = openSync(temp, "w");
    try {
      writeSync(fd, JSON.stringify(record));
      if (this.fsync) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, this.pathOf(signal.id));
    this.live.add(signal.id);
    if (this.fsync) this.syncDir();
  }

  /** Forgets a signal the gateway has acknowledged or refused for good. Missing files are fine. */
  remove(id: string): void {
    this.live.delete(id);
    try {
      unlinkSync(this.pathOf(id));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }

  /**
   * Signals a previous process spooled but never saw acknowledged, one at a time as the caller
   * asks for them: the directory is streamed, never read whole, so a large backlog costs no more
   * memory than the caller's queue. Order is the directory's, not the spooling order; the gateway
   * orders worker state by `occurredAt`, so arrival order does not matter. Temporary files are
   * half-written signals whose `enqueue` never returned, so they are deleted. Unreadable files
   * are renamed `*.corrupt` and reported rather than retried forever. Files this instance wrote
   * itself (enqueued since it opened) are skipped: they are already queued.
   */
  async *recover(): AsyncGenerator<RecoveredItem> {
    const dir = await opendir(this.dir, { bufferSize: 64 });
    for await (const entry of dir) {
      const name = entry.name;
      const path = join(this.dir, name);
      if (name.startsWith(TEMP_PREFIX)) {
        // Even one of this process: `write` is synchronous, so no write is ever in progress here.
        await unlink(path).catch(ignoreMissing);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      let record: SpoolRecord;
      try {
        record = JSON.parse(await readFile(path, "utf8")) as SpoolRecord;
        if (typeof record?.signal?.id !== "string") throw new Error("no signal id");
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue; // acknowledged meanwhile
        await rename(path, `${path}.corrupt`).catch(ignoreMissing);
        yield { corrupt: name };
        continue;
      }
      if (this.live.has(record.signal.id)) continue;
      yield { signal: record.signal };
    }
  }

  private syncDir(): void {
    // Makes the rename itself durable. Some platforms cannot fsync a directory; the file is
    // still safe against a process crash there.
    let fd: number | undefined;
    try {
      fd = openSync(this.dir, "r");
      fsyncSync(fd);
    } catch {
      // best effort, see above
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== "ENOENT") throw error;
}
