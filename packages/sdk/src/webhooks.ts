import {
  type EventType,
  eventSchema,
  eventTypes,
  validationErrors,
  type Event as WebhookEvent,
} from "@gigbridge/schemas";
import { ValidationError, WebhookVerificationError } from "./errors.js";
import { uuidv7 } from "./uuid.js";

/**
 * Standard Webhooks (https://www.standardwebhooks.com): the gateway signs
 * `${webhook-id}.${webhook-timestamp}.${body}` with HMAC-SHA256 under the endpoint's
 * secret and sends `v1,<base64>` signatures, space-separated. After a secret rotation it
 * sends one per live secret, so any one matching is enough.
 *
 * Web Crypto only (`crypto.subtle`), so this runs on Node, Deno, Bun, Cloudflare Workers and
 * Vercel Edge alike; Web Crypto is asynchronous, hence the promises.
 */

type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const SECRET_PREFIX = "whsec_";
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type WebhookBody = string | Uint8Array | ArrayBuffer;

/** Fetch `Headers`, Node's `req.headers`, or a plain object; names are matched case-insensitively. */
export type WebhookHeaders =
  | Headers
  | Record<string, string | string[] | undefined>
  | { get(name: string): string | null };

// A type alias rather than an interface so it can be passed where a header record is expected.
export type WebhookSignatureHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

/**
 * An authentic event of a type newer than this SDK version: passed through with its data
 * unparsed, so a receiver can ignore it (and answer 2xx) instead of failing the delivery.
 * `type` is `"unknown"` and the sender's type is in `unknownType`: a string-typed `type` would
 * stop `event.type === "task.created"` from narrowing to the known event.
 */
export interface UnknownWebhookEvent {
  type: "unknown";
  /** The `type` as sent, e.g. a type added to the gateway after this SDK version. */
  unknownType: string;
  timestamp: string;
  data: unknown;
}

/** What verification returns: a known event, typed as a union on `type`, or an unknown one. */
export type VerifiedWebhookEvent = WebhookEvent | UnknownWebhookEvent;

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way, in seconds. Default 300. */
  toleranceSec?: number;
  /** The same as `toleranceSec`; the older name, still accepted. */
  toleranceSeconds?: number;
  /** The current time in ms, for tests. */
  now?: number;
}

export interface SignOptions {
  /** Default `msg_<uuidv7>`. */
  id?: string;
  /** Default now. */
  timestamp?: Date;
}

function decodeBase64(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return undefined;
  }
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!);
  return btoa(binary);
}

function decodeSecret(secret: string): Uint8Array {
  if (typeof secret !== "string") throw new TypeError("a webhook secret must be a string: whsec_<base64>");
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = decodeBase64(encoded);
  if (!key || key.length === 0)
    throw new TypeError("webhook secret is empty or not base64; expected whsec_<base64>");
  return key;
}

/** The body as bytes, or undefined when it is not a body at all (a parsed object, say). */
function toBytes(body: unknown): Uint8Array | undefined {
  if (typeof body === "string") return encoder.encode(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  // `instanceof` alone misses buffers made in another realm (an edge runtime's VM, a worker).
  if (body instanceof ArrayBuffer || Object.prototype.toString.call(body) === "[object ArrayBuffer]") {
    return new Uint8Array(body as ArrayBuffer);
  }
  return undefined;
}

/** `${id}.${timestamp}.` followed by the body bytes: what the signature covers. */
function signedContent(id: string, timestamp: string, body: Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`);
  const content = new Uint8Array(prefix.length + body.length);
  content.set(prefix, 0);
  content.set(body, prefix.length);
  return content;
}

/** Compares in time that depends only on the length, which is public (32 bytes for v1). */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === "function") {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue;
    return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

const knownTypes: ReadonlySet<string> = new Set<EventType>(eventTypes);

/** Parses an authentic body: known types against the shared schema, unknown types passed through. */
function parseEvent(body: Uint8Array): VerifiedWebhookEvent {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(body));
  } catch {
    throw new WebhookVerificationError("webhook body is not JSON", "body_not_json");
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type === "string" && !knownTypes.has(type)) {
    const { timestamp, data } = json as { timestamp?: unknown; data?: unknown };
    return { type: "unknown", unknownType: type, timestamp: String(timestamp ?? ""), data };
  }
  const result = eventSchema.safeParse(json);
  if (!result.success) {
    throw new ValidationError(
      "webhook event does not match the event schema",
      validationErrors(result.error),
    );
  }
  return result.data;
}

/**
 * Verifies and parses webhook deliveries from the gateway. Reuse one instance per secret:
 * it imports the key once.
 *
 * ```ts
 * const webhook = new Webhook(process.env.GIGBRIDGE_WEBHOOK_SECRET);
 * const event = await webhook.verify(rawBody, req.headers); // throws if not authentic
 * ```
 */
export class Webhook {
  private readonly keys: Promise<HmacKey[]>;
  private readonly toleranceSec: number;

  /** `secret` is `whsec_<base64>`; pass several while rotating your own secret. */
  constructor(
    secret: string | readonly string[],
    options: Pick<VerifyOptions, "toleranceSec" | "toleranceSeconds"> = {},
  ) {
    const secrets = typeof secret === "string" ? [secret] : [...secret];
    if (secrets.length === 0) throw new TypeError("at least one webhook secret is required");
    const raw = secrets.map(decodeSecret);
    this.keys = Promise.all(
      raw.map((key) =>
        crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      ),
    );
    this.keys.catch(() => {}); // reported by the first verify or sign
    const tolerance = options.toleranceSec ?? options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
    if (!Number.isFinite(tolerance) || tolerance < 0)
      throw new RangeError("toleranceSec must be a number >= 0");
    this.toleranceSec = tolerance;
  }

  /**
   * Checks the signature and timestamp, then parses the body with the shared event schemas.
   * Pass the body exactly as received, before any JSON parsing: re-serialised JSON does not verify.
   *
   * @throws WebhookVerificationError when headers are missing, the timestamp is outside the
   *   tolerance, no signature matches, or the body is not JSON; `reason` says which.
   * @throws ValidationError when an authentic event of a known type does not match its schema.
   *   An event of a type this SDK does not know is returned with `data: unknown` instead.
   */
  async verify(
    rawBody: WebhookBody,
    headers: WebhookHeaders,
    options: { now?: number } = {},
  ): Promise<VerifiedWebhookEvent> {
    return parseEvent(await this.verifySignature(rawBody, headers, options.now));
  }

  /** Checks headers, timestamp and signature only; returns the body bytes. */
  async verifySignature(
    rawBody: WebhookBody,
    headers: WebhookHeaders,
    now: number = Date.now(),
  ): Promise<Uint8Array> {
    const body = toBytes(rawBody);
    if (!body) {
      throw new TypeError(
        "pass the raw request body (string, Uint8Array or ArrayBuffer), not a parsed object",
      );
    }
    const id = header(headers, "webhook-id");
    const timestamp = header(headers, "webhook-timestamp");
    const signatures = header(headers, "webhook-signature");
    if (!id || !timestamp || !signatures) {
      throw new WebhookVerificationError(
        "missing webhook-id, webhook-timestamp or webhook-signature header",
        "missing_headers",
      );
    }
    if (!/^\d+$/.test(timestamp)) {
      throw new WebhookVerificationError("webhook-timestamp is not Unix seconds", "invalid_timestamp");
    }
    const age = Math.floor(now / 1000) - Number(timestamp);
    if (Math.abs(age) > this.toleranceSec) {
      throw age > 0
        ? new WebhookVerificationError("webhook timestamp is too old", "timestamp_too_old")
        : new WebhookVerificationError("webhook timestamp is in the future", "timestamp_in_future");
    }
    const expected = await this.digests(id, timestamp, body);
    for (const entry of signatures.split(" ")) {
      const comma = entry.indexOf(",");
      if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
      const given = decodeBase64(entry.slice(comma + 1));
      if (!given) continue;
      for (const candidate of expected) {
        if (constantTimeEqual(given, candidate)) return body;
      }
    }
    throw new WebhookVerificationError("no webhook signature matches the secret", "signature_mismatch");
  }

  /** Produces the headers the gateway would send for `payload`; for tests and examples. */
  async sign(payload: WebhookBody, options: SignOptions = {}): Promise<WebhookSignatureHeaders> {
    const id = options.id ?? `msg_${uuidv7()}`;
    const timestamp = String(Math.floor((options.timestamp ?? new Date()).getTime() / 1000));
    const body = toBytes(payload);
    if (!body) throw new TypeError("the payload to sign must be a string, Uint8Array or ArrayBuffer");
    const digests = await this.digests(id, timestamp, body);
    const signature = digests.map((digest) => `v1,${encodeBase64(digest)}`).join(" ");
    return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
  }

  private async digests(id: string, timestamp: string, body: Uint8Array): Promise<Uint8Array[]> {
    const content = signedContent(id, timestamp, body);
    const keys = await this.keys;
    const signed = await Promise.all(keys.map((key) => crypto.subtle.sign("HMAC", key, content)));
    return signed.map((digest) => new Uint8Array(digest));
  }
}

/**
 * One-line verification: `const event = await verifyWebhook(rawBody, req.headers, secret)`.
 * Options: `{ toleranceSec }` (default 300). See `Webhook.verify` for what it throws.
 */
export function verifyWebhook(
  rawBody: WebhookBody,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): Promise<VerifiedWebhookEvent> {
  return new Webhook(secret, options).verify(rawBody, headers, options);
}

/**
 * Signs a payload the way the gateway does, returning the three headers. With several
 * secrets the signature header lists one signature per secret, as during a rotation.
 * Like stripe-node's `generateTestHeaderString`: for tests, examples and local receivers.
 */
export function signWebhook(
  payload: WebhookBody,
  secret: string | readonly string[],
  options: SignOptions = {},
): Promise<WebhookSignatureHeaders> {
  return new Webhook(secret).sign(payload, options);
}

/** A fresh random secret in the `whsec_<base64>` form, for tests and local setups. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${encodeBase64(crypto.getRandomValues(new Uint8Array(24)))}`;
}

// What a receiver needs besides `verifyWebhook`, so `@gigbridge/sdk/webhooks` stands alone.
export type { Event as WebhookEvent, EventOf, EventType } from "@gigbridge/schemas";
export {
  GigBridgeError,
  ValidationError,
  type WebhookFailureReason,
  WebhookVerificationError,
} from "./errors.js";
