import { createHmac, randomBytes } from "node:crypto";

/** Standard Webhooks secrets are `whsec_` followed by the base64 of the key bytes. */
export const SECRET_PREFIX = "whsec_";

/** A fresh signing secret: `whsec_` + base64 of 32 random bytes (the spec asks for 24 to 64). */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString("base64");
}

/** The key bytes of a `whsec_` secret. Throws on a secret that is not base64 or is too short. */
export function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error("a signing secret must be whsec_ + base64");
  const key = Buffer.from(encoded, "base64");
  if (key.length < 24 || key.length > 64) throw new Error("a signing secret must hold 24 to 64 bytes");
  return key;
}

/** True when `secret` is a well-formed `whsec_` secret. */
export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  try {
    secretKey(secret);
    return true;
  } catch {
    return false;
  }
}

/**
 * The `webhook-signature` header value: one `v1,<base64 HMAC-SHA256>` entry per
 * secret, space separated, over `msgId.timestampSec.body`. Several secrets are
 * signed during a rotation so receivers holding either secret can verify.
 */
export function sign(msgId: string, timestampSec: number, body: string, secrets: readonly string[]): string {
  if (secrets.length === 0) throw new Error("at least one signing secret is needed");
  const content = `${msgId}.${Math.floor(timestampSec)}.${body}`;
  return secrets
    .map((secret) => `v1,${createHmac("sha256", secretKey(secret)).update(content).digest("base64")}`)
    .join(" ");
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookHeaders(
  msgId: string,
  timestampSec: number,
  body: string,
  secrets: readonly string[],
): Record<string, string> {
  return {
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(timestampSec)),
    "webhook-signature": sign(msgId, timestampSec, body, secrets),
  };
}
