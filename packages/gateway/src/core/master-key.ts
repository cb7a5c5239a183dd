import { createHmac, hkdfSync } from "node:crypto";

/**
 * The development master key, used only by `gigbridge start --dev` (what
 * `npm start` runs). Anything else must set GIGBRIDGE_MASTER_KEY.
 */
export const DEV_MASTER_KEY = "ZGV2ZWxvcG1lbnQtb25seS1naWdicmlkZ2UtbWFzdGVyLWtleSEh";

/** Parses GIGBRIDGE_MASTER_KEY (base64, or hex), at least 32 bytes. */
export function parseMasterKey(value: string): Buffer {
  const trimmed = value.trim();
  const bytes =
    /^[0-9a-f]+$/i.test(trimmed) && trimmed.length % 2 === 0
      ? Buffer.from(trimmed, "hex")
      : Buffer.from(trimmed, "base64");
  if (bytes.length < 32) throw new Error("GIGBRIDGE_MASTER_KEY must hold at least 32 bytes (base64 or hex)");
  return bytes;
}

/** A purpose-bound key derived from the master key, so one leaked derived key exposes nothing else. */
export function deriveKey(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), `gigbridge/${purpose}`, 32));
}

const subjectKeys = new WeakMap<Buffer, Map<string, Buffer>>();

/**
 * The pseudonymous subject id of a worker: HMAC-SHA256 of the platform's worker
 * id under a per-platform key derived from the master key.
 */
export function subjectIdOf(masterKey: Buffer, platformId: string, workerId: string): string {
  let perPlatform = subjectKeys.get(masterKey);
  if (!perPlatform) {
    perPlatform = new Map();
    subjectKeys.set(masterKey, perPlatform);
  }
  let key = perPlatform.get(platformId);
  if (!key) {
    key = deriveKey(masterKey, `subject/${platformId}`);
    perPlatform.set(platformId, key);
  }
  return `sub_${createHmac("sha256", key).update(workerId).digest("base64url")}`;
}
