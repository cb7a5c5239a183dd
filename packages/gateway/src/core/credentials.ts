import { createHash, randomBytes } from "node:crypto";
import { keys } from "./keys.js";
import type { RedisClient } from "./redis.js";
import { Script } from "./script.js";

/** Who a bearer key belongs to. */
export type Principal =
  | { kind: "platform"; id: string }
  | { kind: "org"; id: string }
  | { kind: "operator"; name: string; role: "viewer" | "operator" };

const prefixes = { platform: "gb_pk_", org: "gb_ok_", operator: "gb_op_" } as const;

/** Keys are random and long, so one SHA-256 is the right hash (as for GitHub tokens); only hashes are stored. */
export function hashKey(key: string): string {
  return `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** A new random key for a principal kind; shown once, stored only as its hash. */
export function newKey(kind: Principal["kind"]): string {
  return prefixes[kind] + randomBytes(24).toString("base64url");
}

/**
 * A key's public id: `key_` and the first 16 hex digits of its hash. Derived,
 * so configured keys have one too, and it names a key without revealing it.
 */
export function credentialId(hash: string): string {
  return `key_${hash.slice("sha256:".length, "sha256:".length + 16)}`;
}

export const CREDENTIAL_ID = /^key_[0-9a-f]{16}$/;

/** What Redis keeps per key (field = its id in `gb:credentials`). */
interface StoredCredential {
  hash: string;
  principal: Principal;
  createdAt?: string;
  expiresAt?: string;
  revokedAt?: string;
}

/** One key as `keys list`, `ops token list` and `GET /v1/ops/credentials` show it; never the key itself. */
export interface CredentialInfo {
  id: string;
  principal: Principal;
  source: "config" | "redis";
  createdAt: string | null;
  expiresAt: string | null;
  /** Revoked with `keys revoke` / the API (then `revokedAt` says when), or listed in `revokedKeyHashes`. */
  revoked: boolean;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

/** The field of `gb:credentials` counted up by every create and revoke: other processes drop their caches. */
const VERSION_FIELD = "#version";

/** Last use is written at most this often per key and process: a write per request would cost more than the request. */
const USE_NOTE_MS = 60_000;

/** How often a process asks whether any key changed; a revoked key stops working within this plus one request. */
const DEFAULT_CHECK_MS = 1_000;

/**
 * Marks a key revoked and counts the version up, in one step. A configured key
 * has no record yet: ARGV[3] is the record to start from. Returns 1 revoked,
 * 2 already revoked, 0 unknown id.
 */
const revokeScript = new Script(`
local current = redis.call('HGET', KEYS[1], ARGV[1])
local record
if current then
  record = cjson.decode(current)
elseif ARGV[3] ~= '' then
  record = cjson.decode(ARGV[3])
else
  return 0
end
if record['revokedAt'] then return 2 end
record['revokedAt'] = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
redis.call('HINCRBY', KEYS[1], '${VERSION_FIELD}', 1)
return 1
`);

export interface CredentialsOptions {
  /** Hashes the configuration marks revoked (`revokedKeyHashes`). */
  revoked?: ReadonlySet<string>;
  /** The clock expiry is judged by. */
  now?: () => number;
  checkEveryMs?: number;
}

/**
 * Resolves bearer keys: configured keys and keys made at run time (in Redis),
 * minus revoked and expired ones. Lookups are cached without a time limit and
 * dropped whenever the version in Redis changes; each process reads the version
 * at most once a second, so a key revoked anywhere is refused everywhere within
 * about a second, at one small Redis read per second and process.
 */
export class Credentials {
  private readonly cache = new Map<string, StoredCredential | null>();
  private readonly noted = new Map<string, number>();
  private readonly revoked: ReadonlySet<string>;
  private readonly now: () => number;
  private readonly checkEveryMs: number;
  private version: string | null | undefined;
  private checkedAt = Number.NEGATIVE_INFINITY;
  private checking: Promise<void> | undefined;

  constructor(
    private readonly configured: ReadonlyMap<string, Principal>,
    private readonly redis: RedisClient,
    options: CredentialsOptions = {},
  ) {
    this.revoked = options.revoked ?? new Set();
    this.now = options.now ?? Date.now;
    this.checkEveryMs = options.checkEveryMs ?? DEFAULT_CHECK_MS;
  }

  async resolve(key: string): Promise<Principal | null> {
    const hash = hashKey(key);
    if (this.revoked.has(hash)) return null;
    const configured = this.configured.get(hash);
    let stored: StoredCredential | null;
    try {
      await this.checkVersion();
      stored = await this.lookup(hash);
    } catch (error) {
      // Redis is away: what this process knows still holds, and a configured key still names its principal
      // (its routes answer 503 on their own if they need Redis); anything else cannot be checked.
      const known = this.cache.get(hash);
      if (known !== undefined) stored = known;
      else if (configured) stored = null;
      else throw error;
    }
    if (stored?.revokedAt) return null;
    if (stored?.expiresAt && Date.parse(stored.expiresAt) <= this.now()) return null;
    const principal = configured ?? stored?.principal ?? null;
    if (principal) this.noteUse(credentialId(hash));
    return principal;
  }

  /** Forgets every lookup: after a change made by this process, it holds at once here, not a second later. */
  invalidate(): void {
    this.cache.clear();
    this.checkedAt = Number.NEGATIVE_INFINITY;
  }

  private async checkVersion(): Promise<void> {
    // Real time, not the injectable clock: a test that stops its clock must not stop revocations.
    if (performance.now() - this.checkedAt < this.checkEveryMs) return;
    this.checking ??= this.redis
      .hget(keys.credentials, VERSION_FIELD)
      .then((version) => {
        if (version !== this.version) {
          this.cache.clear();
          this.version = version;
        }
        this.checkedAt = performance.now();
      })
      .finally(() => {
        this.checking = undefined;
      });
    await this.checking;
  }

  private async lookup(hash: string): Promise<StoredCredential | null> {
    const cached = this.cache.get(hash);
    if (cached !== undefined) return cached;
    const text = await this.redis.hget(keys.credentials, credentialId(hash));
    const parsed = text ? (JSON.parse(text) as StoredCredential) : null;
    const stored = parsed?.hash === hash ? parsed : null;
    // Unknown keys are cached too (a new key counts the version up); the bound keeps guessed keys from filling memory.
    if (this.cache.size >= 10_000) this.cache.clear();
    this.cache.set(hash, stored);
    return stored;
  }

  private noteUse(id: string): void {
    const now = Date.now();
    if ((this.noted.get(id) ?? Number.NEGATIVE_INFINITY) + USE_NOTE_MS > now) return;
    if (this.noted.size >= 10_000) this.noted.clear();
    this.noted.set(id, now);
    this.redis.hset(keys.credentialsUsed, id, String(now)).catch(() => {
      this.noted.delete(id);
    });
  }

  /** Stores a new key for the principal and returns it (the only time it is visible). */
  static async create(
    redis: RedisClient,
    principal: Principal,
    options: { expiresAt?: Date; now?: Date } = {},
  ): Promise<string> {
    return (await Credentials.issue(redis, principal, options)).key;
  }

  /** Like `create`, with the new key's public id and expiry. */
  static async issue(
    redis: RedisClient,
    principal: Principal,
    options: { expiresAt?: Date; now?: Date } = {},
  ): Promise<{ key: string; id: string; createdAt: string; expiresAt: string | null }> {
    const key = newKey(principal.kind);
    const hash = hashKey(key);
    const id = credentialId(hash);
    const createdAt = (options.now ?? new Date()).toISOString();
    const expiresAt = options.expiresAt?.toISOString() ?? null;
    const record: StoredCredential = { hash, principal, createdAt, ...(expiresAt ? { expiresAt } : {}) };
    await redis
      .multi()
      .hset(keys.credentials, id, JSON.stringify(record))
      .hincrby(keys.credentials, VERSION_FIELD, 1)
      .exec();
    return { key, id, createdAt, expiresAt };
  }

  /**
   * Revokes a key by id: one made at run time, or a configured one (pass the
   * configured principals so its id is known). Every process refuses it within
   * about a second.
   */
  static async revoke(
    redis: RedisClient,
    id: string,
    configured: ReadonlyMap<string, Principal> = new Map(),
    now = new Date(),
  ): Promise<"revoked" | "already_revoked" | "not_found"> {
    if (!CREDENTIAL_ID.test(id)) return "not_found";
    let start = "";
    for (const [hash, principal] of configured) {
      if (credentialId(hash) === id) start = JSON.stringify({ hash, principal });
    }
    const result = await revokeScript.run(redis, [keys.credentials], [id, now.toISOString(), start]);
    return result === 1 ? "revoked" : result === 2 ? "already_revoked" : "not_found";
  }

  /** Every key: configured ones first, then those made at run time; revoked and expired ones included. */
  static async list(
    redis: RedisClient,
    configured: ReadonlyMap<string, Principal> = new Map(),
    configRevoked: ReadonlySet<string> = new Set(),
  ): Promise<CredentialInfo[]> {
    const [stored, used] = await Promise.all([
      redis.hgetall(keys.credentials),
      redis.hgetall(keys.credentialsUsed),
    ]);
    const records = new Map<string, StoredCredential>();
    for (const [field, text] of Object.entries(stored)) {
      if (field === VERSION_FIELD) continue;
      const record = JSON.parse(text) as StoredCredential;
      records.set(record.hash, record);
    }
    const lastUsed = (id: string) => (used[id] ? new Date(Number(used[id])).toISOString() : null);
    const items: CredentialInfo[] = [];
    const add = (hash: string, principal: Principal, source: CredentialInfo["source"]) => {
      const id = credentialId(hash);
      const record = records.get(hash);
      items.push({
        id,
        principal,
        source,
        createdAt: record?.createdAt ?? null,
        expiresAt: record?.expiresAt ?? null,
        revoked: Boolean(record?.revokedAt) || configRevoked.has(hash),
        revokedAt: record?.revokedAt ?? null,
        lastUsedAt: lastUsed(id),
      });
    };
    for (const [hash, principal] of configured) add(hash, principal, "config");
    for (const [hash, record] of records) if (!configured.has(hash)) add(hash, record.principal, "redis");
    return items;
  }
}

/** The configured keys as a hash -> principal map. */
export function configuredPrincipals(config: {
  platforms: { id: string; keyHashes: string[] }[];
  orgs: { id: string; keyHashes: string[] }[];
  operators: { name: string; role: "viewer" | "operator"; tokenHash: string }[];
}): Map<string, Principal> {
  const map = new Map<string, Principal>();
  for (const p of config.platforms) for (const h of p.keyHashes) map.set(h, { kind: "platform", id: p.id });
  for (const o of config.orgs) for (const h of o.keyHashes) map.set(h, { kind: "org", id: o.id });
  for (const op of config.operators)
    map.set(op.tokenHash, { kind: "operator", name: op.name, role: op.role });
  return map;
}
