import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKey } from "./master-key.js";

/**
 * AES-256-GCM under a key derived from a master key for one purpose, with `context` bound as
 * associated data: `v1.<iv>.<tag>.<ciphertext>`, each part base64url. Used for what must be
 * recoverable but not readable at rest, such as the worker id a rotation needs.
 */
export function seal(masterKey: Buffer, purpose: string, plaintext: string, context: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(masterKey, purpose), iv);
  cipher.setAAD(Buffer.from(context));
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [
    "v1",
    iv.toString("base64url"),
    cipher.getAuthTag().toString("base64url"),
    data.toString("base64url"),
  ].join(".");
}

/** Opens a sealed value with the first of `masterKeys` that sealed it; null when none did. */
export function unseal(
  masterKeys: readonly Buffer[],
  purpose: string,
  sealed: string,
  context: string,
): { plaintext: string; keyIndex: number } | null {
  const [version, iv, tag, data] = sealed.split(".");
  if (version !== "v1" || iv === undefined || tag === undefined || data === undefined) return null;
  for (const [keyIndex, masterKey] of masterKeys.entries()) {
    try {
      const decipher = createDecipheriv(
        "aes-256-gcm",
        deriveKey(masterKey, purpose),
        Buffer.from(iv, "base64url"),
      );
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      const plaintext = Buffer.concat([
        decipher.update(Buffer.from(data, "base64url")),
        decipher.final(),
      ]).toString("utf8");
      return { plaintext, keyIndex };
    } catch {
      // Sealed under another key: try the next.
    }
  }
  return null;
}

/** The purpose the worker id on a record is sealed for; bound to the platform id. */
export const WORKER_ID_PURPOSE = "worker-id/v1";
