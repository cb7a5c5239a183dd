import type { GatewayConfig } from "@gigbridge/schemas";
import { ConflictError } from "./errors.js";
import { execOrThrow } from "./exec.js";
import { keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

export type Org = GatewayConfig["orgs"][number];

/**
 * The organization tree: the configured orgs plus those operators add at run
 * time (to fix a `no_route`). Every gateway process sees an added org on its
 * next read, because reads check a version counter before using the cache.
 */
export class OrgDirectory {
  private cached: { version: string | null; orgs: Org[]; byId: Map<string, Org> } | undefined;

  constructor(
    private readonly configured: readonly Org[],
    private readonly redis: RedisClient,
  ) {}

  async list(): Promise<Org[]> {
    return (await this.load()).orgs;
  }

  async get(id: string): Promise<Org | undefined> {
    return (await this.load()).byId.get(id);
  }

  /** Adds or replaces a run-time org. Configured orgs cannot be replaced. */
  async put(org: Org): Promise<void> {
    if (this.configured.some((o) => o.id === org.id)) {
      throw new ConflictError(
        `Org ${org.id} is in the configuration file and cannot be changed at run time.`,
      );
    }
    await execOrThrow(this.redis.multi().hset(keys.orgs, org.id, JSON.stringify(org)).incr(keys.orgsVersion));
  }

  private async load() {
    const version = await this.redis.get(keys.orgsVersion);
    if (this.cached && this.cached.version === version) return this.cached;
    const stored = version === null ? {} : await this.redis.hgetall(keys.orgs);
    const added = Object.values(stored).map((json) => JSON.parse(json) as Org);
    const orgs = [...this.configured, ...added.filter((o) => !this.configured.some((c) => c.id === o.id))];
    this.cached = { version, orgs, byId: new Map(orgs.map((o) => [o.id, o])) };
    return this.cached;
  }
}
