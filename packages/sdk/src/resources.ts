import type { Erasure, SignalInputOf, SignalType } from "@gigbridge/schemas";
import { signalTypes } from "@gigbridge/schemas";

/**
 * The typed method table (`client.workers.onboarded(data)`, ...) derived from the shared
 * signal types. The only thing written by hand is the plural of each type's prefix; a
 * new prefix in @gigbridge/schemas fails to compile here until it is named.
 */
export const namespaceOf = {
  worker: "workers",
  membership: "membership",
  activity: "activities",
  appeal: "appeals",
  station: "stations",
} as const satisfies { [P in Prefix<SignalType>]: string };

type Prefix<T extends string> = T extends `${infer P}.${string}` ? P : never;
type Action<T extends string, P extends string> = T extends `${P}.${infer A}` ? A : never;

/** Per-call envelope fields; both default (a fresh UUIDv7, and now). */
export interface SendOptions {
  /** The idempotency key. Reuse it when you send the same fact again. */
  id?: string;
  /** RFC 3339 with an offset. */
  occurredAt?: string;
}

/** What the gateway said about one signal; both mean it is safely received. */
export interface SendResult {
  id: string;
  status: "accepted" | "duplicate";
}

export type SignalMethod<T extends SignalType> = (
  data: SignalInputOf<T>["data"],
  options?: SendOptions,
) => Promise<SendResult>;

export type SignalResources = {
  readonly [P in Prefix<SignalType> as (typeof namespaceOf)[P]]: {
    readonly [A in Action<SignalType, P>]: SignalMethod<Extract<SignalType, `${P}.${A}`>>;
  };
};

/** Builds the method table around one `send` function. */
export function buildResources(
  send: <T extends SignalType>(
    type: T,
    data: SignalInputOf<T>["data"],
    options?: SendOptions,
  ) => Promise<SendResult>,
): SignalResources {
  const table: Record<string, Record<string, SignalMethod<SignalType>>> = {};
  for (const type of signalTypes) {
    const dot = type.indexOf(".");
    const namespace = namespaceOf[type.slice(0, dot) as Prefix<SignalType>];
    table[namespace] ??= {};
    table[namespace][type.slice(dot + 1)] = (data, options) => send(type, data, options);
  }
  return table as unknown as SignalResources;
}

/** Requests that are not signals, on the worker namespace. */
export interface WorkerActions {
  /**
   * Erases the worker's personal data at the gateway (`DELETE /v1/workers/{workerId}`) and
   * resolves with the erasure (202). Final: later signals for this worker id are refused with
   * reason `erased`; a worker who comes back must be sent under a new worker id. Asking again
   * answers the same erasure; an unknown worker id gets the same answer as a known one.
   */
  erase(workerId: string): Promise<Erasure>;
}

/** The client's resources: the signal methods, with the worker actions beside the worker signals. */
export type Resources = Omit<SignalResources, "workers"> & {
  readonly workers: SignalResources["workers"] & WorkerActions;
};
