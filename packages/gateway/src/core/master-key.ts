import { createHmac, hkdfSync } from "node:crypto";

/**
 * The development master key, used only by `gigbridge start --dev` (what
 * `npm start` runs). Anything else must set GIGBRIDGE_MASTER_KEY.
 */
export const DEV_MASTER_KEY = "ZGV2ZWxvcG1lbnQtb25seS1naWdicmlkZ2UtbWFzdGVyLWtleSEh";

/** One master key and the id it is known by (`GIGBRIDGE_MASTER_KEY=<id>:<key>`). */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** The current master key, which all new data uses, and the previous ones a rotation still reads. */
export interface MasterKeyRing {
  current: MasterKey;
  previous: MasterKey[];
}

/** The id a key given without one is known by. */
export const UNNAMED_KEY_ID = "k0";

/**
 * Parses GIGBRIDGE_MASTER_KEY: comma-separated `<id>:<key>` entries, current key first,
 * then previous keys (kept during a rotation). A key is base64 or hex, at least 32 bytes;
 * a single key without an id (the older form) is known as `k0`.
 */
export function parseMasterKeyRing(value: string): MasterKeyRing {
  const entries = value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  if (entries.length === 0) throw new Error("GIGBRIDGE_MASTER_KEY is empty");
  const keys = entries.map((entry) => {
    const match = /^([A-Za-z0-9_-]{1,32}):(.+)$/.exec(entry);
    if (!match && entries.length > 1) {
      throw new Error("GIGBRIDGE_MASTER_KEY: with more than one key, each must be <id>:<key>");
    }
    return {
      id: match ? (match[1] as string) : UNNAMED_KEY_ID,
      key: keyBytes(match ? (match[2] as string) : entry),
    };
  });
  const ids = new Set<string>();
  for (const { id } of keys) {
    if (ids.has(id)) throw new Error(`GIGBRIDGE_MASTER_KEY: key id ${id} is given twice`);
    ids.add(id);
  }
  const [current, ...previous] = keys as [MasterKey, ...MasterKey[]];
  return { current, previous };
}

/** The current key of GIGBRIDGE_MASTER_KEY (see `parseMasterKeyRing`). */
export function parseMasterKey(value: string): Buffer {
  return parseMasterKeyRing(value).current.key;
}

function keyBytes(text: string): Buffer {
  const trimmed = text.trim();
  const bytes =
    /^[0-9a-f]+$/i.test(trimmed) && trimmed.length % 2 === 0
      ? Buffer.from(trimmed, "hex")
      : Buffer.from(trimmed, "base64");
  if (bytes.length < 32)
    throw new Error("GIGBRIDGE_MASTER_KEY: each key must hold at least 32 bytes (base64 or hex)");
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
