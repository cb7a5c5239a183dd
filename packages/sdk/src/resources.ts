import { type SignalInputOf, type SignalType, signalTypes } from "@gigbridge/schemas";

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
