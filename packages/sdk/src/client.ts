import {
  type AcceptedResponse,
  type Erasure,
  type SignalInput,
  type SignalInputOf,
  type SignalStatus,
  type SignalType,
  signalSchema,
  type Task,
  type TaskKind,
  type TaskStatus,
  validationErrors,
  workerIdSchema,
} from "@gigbridge/schemas";
import { defaultRetry, type RetryOptions } from "./backoff.js";
import { Emitter } from "./emitter.js";
import {
  ClientClosedError,
  type FieldError,
  GigBridgeError,
  PayloadTooLargeError,
  QueueFullError,
  ValidationError,
} from "./errors.js";
import { eachItem, type Page, pageQuery } from "./pages.js";
import { buildResources, type Resources, type SendOptions, type SendResult } from "./resources.js";
import type { Spool, SpoolOptions } from "./spool.js";
import { type FetchLike, type RetryEvent, Transport } from "./transport.js";
import { uuidv7 } from "./uuid.js";

/** Filters of `client.tasks.list`, and how many tasks each page request asks for (the gateway's limit applies). */
export interface TaskListQuery {
  status?: TaskStatus;
  kind?: TaskKind;
  pageSize?: number;
}

export interface GigBridgeOptions {
  /** The platform's API key. */
  apiKey: string;
  /** The gateway, e.g. `https://gigbridge.example.org`. */
  baseUrl: string;
  /** Per-request timeout. Default 10 000 ms. */
  timeoutMs?: number;
  retry?: RetryOptions;
  /** Most signals per batch request; keep at or below the gateway's limit. Default 500. */
  maxBatchSize?: number;
  /** Send a batch as soon as this many signals are queued. Default 100. */
  flushAt?: number;
  /** Send whatever is queued after it has waited this long. Default 1000 ms. */
  flushIntervalMs?: number;
  /** Most signals waiting in memory. Default 10 000. */
  maxQueueSize?: number;
  /**
   * When the queue is full: `"reject"` (default) rejects the new signal with `QueueFullError`;
   * `"drop-oldest"` makes room by rejecting the oldest queued signal with `QueueFullError`
   * and emitting `drop`.
   */
  onQueueFull?: "reject" | "drop-oldest";
  /** Batch requests in flight at once. Default 1. */
  maxConcurrentBatches?: number;
  /**
   * Keep queued signals on disk until the gateway acknowledges them. Node only: the client
   * loads `@gigbridge/sdk/node` for it, and only when this is set. Await `ready()` before
   * relying on `enqueue` having written each signal by the time it returns.
   */
  spool?: SpoolOptions;
  /** Injectable HTTP client; default `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Injectable randomness for backoff jitter, in [0, 1). */
  random?: () => number;
  /** Injectable clock (ms since epoch) for default `occurredAt`, ids and `Retry-After` dates. */
  now?: () => number;
}

/** A signal as callers pass it: a full envelope, or just `type` and `data`. */
export type SignalRequest = {
  [T in SignalType]: { type: T; data: SignalInputOf<T>["data"] } & SendOptions;
}[SignalType];

export interface FlushEvent {
  /** Signals in the batch request that just settled. */
  count: number;
  accepted: number;
  duplicates: number;
  failed: number;
}

export interface DropEvent {
  id: string;
  type: SignalType;
  reason: "queue_full";
}

export interface GigBridgeEvents {
  retry: [RetryEvent];
  flush: [FlushEvent];
  error: [GigBridgeError];
  drop: [DropEvent];
}

interface Pending {
  signal: SignalInput;
  seq: number;
  spooled: boolean;
  resolve(result: SendResult): void;
  reject(error: GigBridgeError): void;
  /** Settles when the signal has an outcome, whatever it is. */
  done: Promise<void>;
}

// The spool's module, named in a variable so that bundlers for edge runtimes do not follow it
// into `node:fs`. The build sets the file name per format (`node.js` or `node.cjs`).
declare const __GIGBRIDGE_NODE_ENTRY__: string | undefined;
const nodeEntry = typeof __GIGBRIDGE_NODE_ENTRY__ === "string" ? __GIGBRIDGE_NODE_ENTRY__ : "./node.js";

const noop = () => {};

// The typed methods (`workers.onboarded`, ...) are built at runtime from @gigbridge/schemas;
// this merged interface gives them their types.
export interface GigBridge extends Resources {}

/**
 * The GigBridge client for platforms.
 *
 * - `send(signal)` and the typed methods (`client.workers.onboarded(data)`) send one signal
 *   and resolve once the gateway has accepted it.
 * - `enqueue(signal)` batches; the promise settles with that signal's outcome.
 * - `close()` flushes and stops timers; call it before the process exits.
 *
 * Every signal is validated locally first. Ids default to UUIDv7 and stay the same on every
 * retry, so the gateway's idempotency makes retries and re-sends safe.
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above only adds the typed methods built in the constructor.
export class GigBridge extends Emitter<GigBridgeEvents> {
  /** `client.signals.get(id)`: the gateway's processing status of one signal. */
  readonly signals: { get(id: string): Promise<SignalStatus> };
  /** `client.erasures.get(id)`: the progress of an erasure this platform asked for (`client.workers.erase`). */
  readonly erasures: { get(id: string): Promise<Erasure> };
  /**
   * `for await (const task of client.tasks.list({ status: "open" }))`: with an organization key, every
   * task of the organization and the organizations below it, oldest first, page after page.
   */
  readonly tasks: { list(query?: TaskListQuery): AsyncGenerator<Task> };

  private readonly transport: Transport;
  private spool: Spool | undefined;
  /** Settles once the spool is open (or failed to open); undefined without a spool. */
  private readonly spoolOpening: Promise<void> | undefined;
  private spoolFailure: GigBridgeError | undefined;
  /** Wakes the spool's recovery when the queue has room again. */
  private roomWaiter: (() => void) | undefined;
  /** Settles when the spool's leftovers have all been queued (or recovery stopped). */
  private recovering: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly maxBatchSize: number;
  private readonly flushAt: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueueSize: number;
  private readonly onQueueFull: "reject" | "drop-oldest";
  private readonly maxConcurrentBatches: number;
  /** Aborted by `close()` when its deadline passes: in-flight requests and backoff sleeps stop. */
  private readonly shutdown = new AbortController();

  private readonly queue: Pending[] = [];
  /** Queued or in flight: what `flush()` waits for. */
  private readonly unsettled = new Set<Pending>();
  private readonly sending = new Set<Promise<unknown>>();
  private batchesInFlight = 0;
  private seq = 0;
  /** Signals with `seq` up to this go out even in a batch smaller than `flushAt`. */
  private flushThrough = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: GigBridgeOptions) {
    super();
    if (!options?.apiKey) throw new TypeError("apiKey is required");
    if (!options.baseUrl) throw new TypeError("baseUrl is required");
    this.now = options.now ?? Date.now;
    this.maxBatchSize = positive("maxBatchSize", options.maxBatchSize ?? 500);
    this.flushAt = positive("flushAt", options.flushAt ?? 100);
    this.flushIntervalMs = positive("flushIntervalMs", options.flushIntervalMs ?? 1000);
    this.maxQueueSize = positive("maxQueueSize", options.maxQueueSize ?? 10_000);
    this.maxConcurrentBatches = positive("maxConcurrentBatches", options.maxConcurrentBatches ?? 1);
    this.onQueueFull = options.onQueueFull ?? "reject";
    const retry = { ...defaultRetry, ...options.retry };
    positive("retry.maxAttempts", retry.maxAttempts);
    this.transport = new Transport({
      apiKey: options.apiKey,
      baseUrl: options.baseUrl,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      timeoutMs: positive("timeoutMs", options.timeoutMs ?? 10_000),
      retry,
      random: options.random ?? Math.random,
      now: this.now,
      onRetry: (event) => this.emit("retry", event),
    });
    Object.assign(
      this,
      buildResources((type, data, opts) => this.send({ ...opts, type, data } as SignalRequest)),
    );
    this.signals = {
      get: (id) =>
        this.track(
          this.transport.request<SignalStatus>(
            "GET",
            `/v1/signals/${encodeURIComponent(id)}`,
            undefined,
            this.shutdown.signal,
          ),
        ),
    };
    this.workers.erase = (workerId) => {
      const checked = workerIdSchema.safeParse(workerId);
      if (!checked.success) {
        return Promise.reject(
          new ValidationError(
            "workerId is not a valid worker id",
            validationErrors(checked.error, "/workerId"),
          ),
        );
      }
      return this.track(
        this.transport.request<Erasure>(
          "DELETE",
          `/v1/workers/${encodeURIComponent(workerId)}`,
          undefined,
          this.shutdown.signal,
        ),
      );
    };
    this.erasures = {
      get: (id) =>
        this.track(
          this.transport.request<Erasure>(
            "GET",
            `/v1/erasures/${encodeURIComponent(id)}`,
            undefined,
            this.shutdown.signal,
          ),
        ),
    };
    this.tasks = {
      list: (query = {}) =>
        eachItem((cursor) =>
          this.track(
            this.transport.request<Page<Task>>(
              "GET",
              `/v1/tasks${pageQuery({ status: query.status, kind: query.kind, limit: query.pageSize }, cursor)}`,
              undefined,
              this.shutdown.signal,
            ),
          ),
        ),
    };
    if (options.spool) {
      this.spoolOpening = this.openSpool(options.spool);
    }
  }

  /**
   * Resolves once the client is ready to keep its promises: with a spool, when the spool's
   * directory is open, so that each `enqueue` from then on is on disk when it returns. Signals
   * enqueued before are written as soon as the spool opens. Rejects if the spool cannot open.
   */
  async ready(): Promise<void> {
    await this.spoolOpening;
    if (this.spoolFailure) throw this.spoolFailure;
  }

  /** Signals waiting in memory, not yet in a request. */
  get queueSize(): number {
    return this.queue.length;
  }

  /**
   * Sends one signal now and resolves when the gateway has accepted it (or already had it).
   * Rejects at once with `ValidationError` if the signal does not match the schema.
   */
  send(request: SignalRequest): Promise<SendResult> {
    if (this.closing) return Promise.reject(new ClientClosedError("the client is closed"));
    let signal: SignalInput;
    try {
      signal = this.prepare(request);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.track(
      this.transport
        .request<AcceptedResponse>("POST", "/v1/signals", signal, this.shutdown.signal)
        .then((ack) => ({
          id: signal.id,
          status: ack?.duplicates?.includes(signal.id) ? "duplicate" : "accepted",
        })),
    );
  }

  /**
   * Queues one signal for a batch request; the promise settles with its outcome.
   *
   * Rejects at once with `ValidationError` (bad signal), `QueueFullError` (queue full under
   * the default policy) or `ClientClosedError`. With a spool the signal is on disk when this
   * returns. Later failures (after retries) reject the promise and are also emitted as
   * `error`, so a promise you do not await never becomes an unhandled rejection.
   */
  enqueue(request: SignalRequest): Promise<SendResult> {
    if (this.closing) return Promise.reject(new ClientClosedError("the client is closed"));
    let signal: SignalInput;
    try {
      signal = this.prepare(request);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.queue.length >= this.maxQueueSize) {
      if (this.onQueueFull === "reject") {
        return Promise.reject(
          new QueueFullError(`the queue holds ${this.maxQueueSize} signals; flush or slow down`),
        );
      }
      this.dropOldest();
    }
    if (this.spoolFailure) return Promise.reject(this.spoolFailure);
    if (this.spool) {
      try {
        this.spool.write(signal);
      } catch (cause) {
        return Promise.reject(new GigBridgeError("could not write the signal to the spool", { cause }));
      }
    }
    // While the spool is still opening, the signal waits in memory and is written when it opens.
    return this.push(signal, this.spool !== undefined);
  }

  /** Sends everything queued now, in as many batches as needed; resolves when each has an outcome. */
  async flush(): Promise<void> {
    const waiting = [...this.unsettled].map((p) => p.done);
    this.flushThrough = this.seq;
    this.pump();
    await Promise.all(waiting);
  }

  /**
   * Stops accepting signals, flushes the queue, waits for requests in flight, and stops the
   * timer. After `timeoutMs` (default 10 000) whatever is left is rejected with
   * `ClientClosedError`; with a spool it stays on disk for the next client.
   */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= this.shutDown(options.timeoutMs ?? 10_000);
    return this.closing;
  }

  private async shutDown(timeoutMs: number): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    // The spool's leftovers are still sent: recovery goes on until the directory is read or the
    // deadline passes, and what it has not read by then stays on disk for the next client.
    const drained = (async () => {
      await this.spoolOpening;
      await this.recovering;
      await Promise.all([this.flush(), ...[...this.sending].map((p) => p.catch(noop))]);
    })();
    let deadline: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<"expired">((resolve) => {
      deadline = setTimeout(() => resolve("expired"), timeoutMs);
    });
    const outcome = await Promise.race([drained, expired]);
    clearTimeout(deadline);
    if (outcome !== "expired") return;
    const closed = new ClientClosedError(`the client closed after ${timeoutMs} ms with signals unsent`);
    this.shutdown.abort(closed);
    this.wakeRecovery();
    for (const pending of this.queue.splice(0)) this.settle(pending, closed);
    await drained;
  }

  /** Fills in the envelope and checks it against the shared schema. */
  private prepare(request: SignalRequest): SignalInput {
    if (typeof request !== "object" || request === null) {
      throw new ValidationError("a signal must be an object", [{ pointer: "", detail: "must be an object" }]);
    }
    const signal = {
      id: request.id ?? uuidv7(this.now()),
      type: request.type,
      occurredAt: request.occurredAt ?? new Date(this.now()).toISOString(),
      data: request.data,
    } as SignalInput;
    const result = signalSchema.safeParse(signal);
    if (!result.success) {
      const errors = validationErrors(result.error);
      throw new ValidationError(`invalid ${describeType(request.type)} signal: ${summarise(errors)}`, errors);
    }
    return signal;
  }

  private push(signal: SignalInput, spooled: boolean): Promise<SendResult> {
    let resolve!: (result: SendResult) => void;
    let reject!: (error: GigBridgeError) => void;
    const outcome = new Promise<SendResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    outcome.catch(noop); // failures are also emitted as `error`; an ignored promise must not crash the process
    const pending: Pending = {
      signal,
      seq: ++this.seq,
      spooled,
      resolve,
      reject,
      done: outcome.then(noop, noop),
    };
    this.queue.push(pending);
    this.unsettled.add(pending);
    this.pump();
    this.armTimer();
    return outcome;
  }

  /** True while a configured spool is still opening. */
  private get opening(): boolean {
    return this.spoolOpening !== undefined && this.spool === undefined && this.spoolFailure === undefined;
  }

  private wakeRecovery(): void {
    const wake = this.roomWaiter;
    this.roomWaiter = undefined;
    wake?.();
  }

  private dropOldest(): void {
    const oldest = this.queue.shift();
    if (!oldest) return;
    this.wakeRecovery();
    if (oldest.spooled) this.spool?.remove(oldest.signal.id);
    this.unsettled.delete(oldest);
    oldest.reject(new QueueFullError("dropped from a full queue to make room for a newer signal"));
    this.emit("drop", { id: oldest.signal.id, type: oldest.signal.type, reason: "queue_full" });
  }

  /**
   * Loads the Node-only spool, writes what was enqueued while it loaded, then streams what a
   * previous process left in the directory into the queue, never holding more than
   * `maxQueueSize` signals in memory: it waits for room as batches go out.
   */
  private async openSpool(options: SpoolOptions): Promise<void> {
    let spool: Spool;
    try {
      const { Spool } = (await import(/* @vite-ignore */ nodeEntry)) as typeof import("./node.js");
      spool = new Spool(options);
      for (const pending of this.queue) {
        spool.write(pending.signal);
        pending.spooled = true;
      }
    } catch (cause) {
      this.spoolFailure = new GigBridgeError(`could not open the spool in ${options.dir}`, { cause });
      for (const pending of this.queue.splice(0)) this.settle(pending, this.spoolFailure);
      this.reportError(this.spoolFailure);
      return;
    }
    this.spool = spool;
    this.pump();
    this.recovering = this.recover(spool);
  }

  private async recover(spool: Spool): Promise<void> {
    try {
      for await (const item of spool.recover()) {
        if (this.shutdown.signal.aborted) return; // what is left stays on disk for the next client
        if ("corrupt" in item) {
          this.reportError(
            new GigBridgeError(
              `unreadable spool file ${item.corrupt} was renamed to ${item.corrupt}.corrupt`,
            ),
          );
          continue;
        }
        while (this.queue.length >= this.maxQueueSize) {
          this.flushThrough = this.seq; // leftovers are due at once
          this.pump();
          await new Promise<void>((resolve) => {
            this.roomWaiter = resolve;
          });
          if (this.shutdown.signal.aborted) return;
        }
        this.push(item.signal, true);
      }
    } catch (cause) {
      this.reportError(new GigBridgeError("could not read the spool directory", { cause }));
    }
    this.flushThrough = this.seq;
    this.pump();
  }

  private armTimer(): void {
    if (this.timer || this.queue.length === 0 || this.closing || this.opening) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushThrough = this.seq;
      this.pump();
      this.armTimer();
    }, this.flushIntervalMs);
    // Does not keep a Node process alive; edge runtimes return a number here.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Starts batch requests while there is room in flight and a batch is due. */
  private pump(): void {
    if (this.opening) return; // nothing leaves before it is on disk
    while (this.batchesInFlight < this.maxConcurrentBatches && this.queue.length > 0) {
      const due = this.queue.length >= this.flushAt || this.queue[0]!.seq <= this.flushThrough;
      if (!due) break;
      const batch = this.queue.splice(0, this.maxBatchSize);
      this.wakeRecovery();
      this.batchesInFlight++;
      void this.deliver(batch).finally(() => {
        this.batchesInFlight--;
        this.pump();
        this.armTimer();
      });
    }
  }

  /**
   * Sends one batch and settles every signal in it. A 413 splits the batch in halves; a
   * validation refusal rejects the signals the gateway named and re-sends the rest, which
   * were refused only because the batch is all-or-nothing.
   */
  private async deliver(batch: Pending[]): Promise<void> {
    let ack: AcceptedResponse | undefined;
    try {
      ack = await this.transport.request<AcceptedResponse>(
        "POST",
        "/v1/signals/batch",
        { signals: batch.map((p) => p.signal) },
        this.shutdown.signal,
      );
    } catch (caught) {
      const error =
        caught instanceof GigBridgeError ? caught : new GigBridgeError(String(caught), { cause: caught });
      if (error instanceof PayloadTooLargeError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.deliver(batch.slice(0, half));
        await this.deliver(batch.slice(half));
        return;
      }
      if (error instanceof ValidationError) {
        const named = errorsBySignal(error.errors, batch.length);
        if (named.size > 0) {
          const valid: Pending[] = [];
          for (const [index, pending] of batch.entries()) {
            const errors = named.get(index);
            if (!errors) {
              valid.push(pending);
              continue;
            }
            const own = new ValidationError(`the gateway refused this signal: ${summarise(errors)}`, errors, {
              status: error.status,
              problem: error.problem,
              requestId: error.requestId,
            });
            this.settle(pending, own);
            this.reportError(own);
          }
          this.emit("flush", {
            count: batch.length - valid.length,
            accepted: 0,
            duplicates: 0,
            failed: batch.length - valid.length,
          });
          if (valid.length > 0) await this.deliver(valid);
          return;
        }
      }
      for (const pending of batch) this.settle(pending, error);
      this.emit("flush", { count: batch.length, accepted: 0, duplicates: 0, failed: batch.length });
      if (!(error instanceof ClientClosedError)) this.reportError(error);
      return;
    }
    const accepted = new Set(ack?.accepted ?? []);
    const duplicates = new Set(ack?.duplicates ?? []);
    const event: FlushEvent = { count: batch.length, accepted: 0, duplicates: 0, failed: 0 };
    let unacknowledged: GigBridgeError | undefined;
    for (const pending of batch) {
      const id = pending.signal.id;
      if (duplicates.has(id)) {
        event.duplicates++;
        this.settle(pending, { id, status: "duplicate" });
      } else if (accepted.has(id)) {
        event.accepted++;
        this.settle(pending, { id, status: "accepted" });
      } else {
        event.failed++;
        unacknowledged ??= new GigBridgeError(
          "the gateway's response did not acknowledge every signal in the batch",
        );
        this.settle(pending, unacknowledged);
      }
    }
    this.emit("flush", event);
    if (unacknowledged) this.reportError(unacknowledged);
  }

  /**
   * Gives a queued signal its outcome and updates the spool: acknowledged signals and
   * signals refused for good leave the disk; anything that may succeed later stays there
   * for the next client on the same directory.
   */
  private settle(pending: Pending, outcome: SendResult | GigBridgeError): void {
    if (!this.unsettled.delete(pending)) return;
    const final =
      !(outcome instanceof GigBridgeError) ||
      outcome instanceof ValidationError ||
      outcome instanceof PayloadTooLargeError;
    if (pending.spooled && final) {
      try {
        this.spool?.remove(pending.signal.id);
      } catch (cause) {
        this.reportError(new GigBridgeError("could not remove a settled signal from the spool", { cause }));
      }
    }
    if (outcome instanceof GigBridgeError) pending.reject(outcome);
    else pending.resolve(outcome);
  }

  /** `error` is emitted only when someone listens: an EventEmitter throws an unheard `error`. */
  private reportError(error: GigBridgeError): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.sending.add(promise);
    const forget = () => this.sending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }
}

/** Splits a batch's `/signals/<i>/...` pointers by signal, as pointers into that signal. */
function errorsBySignal(errors: FieldError[], size: number): Map<number, FieldError[]> {
  const named = new Map<number, FieldError[]>();
  for (const error of errors) {
    const match = /^\/signals\/(\d+)(\/.*)?$/.exec(error.pointer);
    if (!match) continue;
    const index = Number(match[1]);
    if (index >= size) continue;
    const list = named.get(index) ?? [];
    list.push({ pointer: match[2] ?? "", detail: error.detail });
    named.set(index, list);
  }
  return named;
}

function summarise(errors: FieldError[]): string {
  const shown = errors.slice(0, 3).map((e) => `${e.pointer || "/"} ${e.detail}`);
  return errors.length > 3 ? `${shown.join("; ")}; and ${errors.length - 3} more` : shown.join("; ");
}

function describeType(type: unknown): string {
  return typeof type === "string" && /^[a-z.]{1,40}$/.test(type) ? type : "unknown-type";
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number`);
  return value;
}
