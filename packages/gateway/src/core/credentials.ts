import { createHash, randomBytes } from "node:crypto";
import { keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

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
 * Resolves bearer keys. Keys from configuration are known at start; keys made
 * with `gigbridge keys create` live in Redis and are cached briefly, so an
 * authenticated request costs no Redis round trip in the common case.
 */
export class Credentials {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly configured: ReadonlyMap<string, Principal>,
    private readonly redis: RedisClient,
    private readonly cacheMs = 10_000,
  ) {}

  async resolve(key: string): Promise<Principal | null> {
    const hash = hashKey(key);
    const known = this.configured.get(hash);
    if (known) return known;
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.principal;
    const stored = await this.redis.hget(keys.credentials, hash);
    const principal = stored ? (JSON.parse(stored) as Principal) : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: Date.now() + (principal ? this.cacheMs : 1_000) });
    return principal;
  }

  /** Stores a new key for the principal and returns it (the only time it is visible). */
  static async create(redis: RedisClient, principal: Principal): Promise<string> {
    const key = newKey(principal.kind);
    await redis.hset(keys.credentials, hashKey(key), JSON.stringify(principal));
    return key;
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
