import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { eventSchema, validationErrors, type Event as WebhookEvent } from "@gigbridge/schemas";
import { ValidationError, WebhookVerificationError } from "./errors.js";
import { uuidv7 } from "./uuid.js";

/**
 * Standard Webhooks (https://www.standardwebhooks.com): the gateway signs
 * `${webhook-id}.${webhook-timestamp}.${body}` with HMAC-SHA256 under the endpoint's
 * secret and sends `v1,<base64>` signatures, space-separated. After a secret rotation it
 * sends one per live secret, so any one matching is enough.
 */

const SECRET_PREFIX = "whsec_";
const DEFAULT_TOLERANCE_SECONDS = 5 * 60;

export type WebhookBody = string | Uint8Array;

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

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way. Default 300 seconds. */
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

function decodeSecret(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, "base64");
  if (key.length === 0) throw new TypeError("webhook secret is empty; expected whsec_<base64>");
  return key;
}

function toBuffer(body: WebhookBody): Buffer {
  return typeof body === "string"
    ? Buffer.from(body, "utf8")
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function hmac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac("sha256", key).update(`${id}.${timestamp}.`).update(body).digest();
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

/**
 * Verifies and parses one webhook delivery from the gateway. Reuse one instance per secret.
 *
 * ```ts
 * const webhook = new Webhook(process.env.GIGBRIDGE_WEBHOOK_SECRET);
 * const event = webhook.verify(rawBody, req.headers); // throws if not authentic
 * ```
 */
export class Webhook {
  private readonly keys: Buffer[];
  private readonly toleranceSeconds: number;

  /** `secret` is `whsec_<base64>`; pass several while rotating your own secret. */
  constructor(secret: string | readonly string[], options: { toleranceSeconds?: number } = {}) {
    const secrets = typeof secret === "string" ? [secret] : [...secret];
    if (secrets.length === 0) throw new TypeError("at least one webhook secret is required");
    this.keys = secrets.map(decodeSecret);
    this.toleranceSeconds = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  }

  /**
   * Checks the signature and timestamp, then parses the body against the event schema.
   * Pass the body exactly as received, before any JSON parsing: re-serialised JSON does not verify.
   *
   * @throws WebhookVerificationError when headers are missing, the timestamp is outside the
   *   tolerance, or no signature matches.
   * @throws ValidationError when the delivery is authentic but is not an event this SDK
   *   version knows (for example a newer event type); upgrade the SDK.
   */
  verify(rawBody: WebhookBody, headers: WebhookHeaders, options: { now?: number } = {}): WebhookEvent {
    const body = this.verifySignature(rawBody, headers, options.now);
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      throw new WebhookVerificationError("webhook body is not JSON");
    }
    const result = eventSchema.safeParse(json);
    if (!result.success) {
      const errors = validationErrors(result.error);
      throw new ValidationError("webhook event does not match the event schema", errors);
    }
    return result.data;
  }

  /** Checks headers, timestamp and signature only; returns the body bytes. */
  verifySignature(rawBody: WebhookBody, headers: WebhookHeaders, now: number = Date.now()): Buffer {
    if (typeof rawBody !== "string" && !(rawBody instanceof Uint8Array)) {
      throw new TypeError("pass the raw request body (string or Buffer), not a parsed object");
    }
    const id = header(headers, "webhook-id");
    const timestamp = header(headers, "webhook-timestamp");
    const signatures = header(headers, "webhook-signature");
    if (!id || !timestamp || !signatures) {
      throw new WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header");
    }
    if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError("webhook-timestamp is not Unix seconds");
    const age = Math.floor(now / 1000) - Number(timestamp);
    if (Math.abs(age) > this.toleranceSeconds) {
      throw new WebhookVerificationError(
        age > 0 ? "webhook timestamp is too old" : "webhook timestamp is in the future",
      );
    }
    const body = toBuffer(rawBody);
    const expected = this.keys.map((key) => hmac(key, id, timestamp, body));
    for (const entry of signatures.split(" ")) {
      const comma = entry.indexOf(",");
      if (comma < 0 || entry.slice(0, comma) !== "v1") continue;
      const given = Buffer.from(entry.slice(comma + 1), "base64");
      for (const candidate of expected) {
        if (given.length === candidate.length && timingSafeEqual(given, candidate)) return body;
      }
    }
    throw new WebhookVerificationError("no webhook signature matches the secret");
  }

  /** Produces the headers the gateway would send for `payload`; for tests and examples. */
  sign(payload: WebhookBody, options: SignOptions = {}): WebhookSignatureHeaders {
    const id = options.id ?? `msg_${uuidv7()}`;
    const timestamp = String(Math.floor((options.timestamp ?? new Date()).getTime() / 1000));
    const body = toBuffer(payload);
    const signature = this.keys
      .map((key) => `v1,${hmac(key, id, timestamp, body).toString("base64")}`)
      .join(" ");
    return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": signature };
  }
}

/**
 * One-line verification: `const event = verifyWebhook(rawBody, req.headers, secret)`.
 * See `Webhook.verify` for what it throws.
 */
export function verifyWebhook(
  rawBody: WebhookBody,
  headers: WebhookHeaders,
  secret: string | readonly string[],
  options: VerifyOptions = {},
): WebhookEvent {
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
): WebhookSignatureHeaders {
  return new Webhook(secret).sign(payload, options);
}

/** A fresh random secret in the `whsec_<base64>` form, for tests and local setups. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(24).toString("base64")}`;
}
