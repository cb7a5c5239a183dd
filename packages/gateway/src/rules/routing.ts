import type { OrgConfig } from "@gigbridge/schemas";

/** What routing needs of an organization; the configured and the run-time orgs both fit. */
export type RoutingOrg = Pick<OrgConfig, "id" | "parent" | "regions" | "platforms" | "stations">;

/** Where a worker (or an appeal, or a station) is, as routing sees it. */
export interface Place {
  platformId: string;
  regionCode: string;
  stationId?: string | undefined;
}

/** How an org matched: by station, by platform and region, or by region alone. */
export type RouteTier = "station" | "platform_region" | "region";

export interface Route<O extends RoutingOrg = RoutingOrg> {
  org: O;
  tier: RouteTier;
  /** The region prefix that matched; empty for a station match. */
  prefix: string;
}

/** The organization tree prepared for routing and for walking up and down. */
export interface RoutingTable<O extends RoutingOrg = RoutingOrg> {
  readonly orgs: readonly O[];
  readonly byId: ReadonlyMap<string, O>;
  readonly children: ReadonlyMap<string, readonly O[]>;
  /** Orgs found by station: key `platformId station`. */
  readonly byStation: ReadonlyMap<string, readonly O[]>;
  /** Orgs without stations, by each region prefix they cover. */
  readonly byRegion: ReadonlyMap<string, readonly O[]>;
  readonly depth: ReadonlyMap<string, number>;
}

export function buildRoutingTable<O extends RoutingOrg>(orgs: readonly O[]): RoutingTable<O> {
  const byId = new Map<string, O>();
  for (const org of orgs) byId.set(org.id, org);
  const children = new Map<string, O[]>();
  const byStation = new Map<string, O[]>();
  const byRegion = new Map<string, O[]>();
  const push = (map: Map<string, O[]>, key: string, org: O) => {
    const list = map.get(key);
    if (list) list.push(org);
    else map.set(key, [org]);
  };
  for (const org of byId.values()) {
    if (org.parent !== null) push(children, org.parent, org);
    if (org.stations.length > 0) {
      for (const platform of org.platforms)
        for (const station of org.stations) push(byStation, stationKey(platform, station), org);
    } else {
      for (const region of new Set(org.regions)) push(byRegion, region, org);
    }
  }
  const table = {
    orgs: [...byId.values()],
    byId,
    children,
    byStation,
    byRegion,
    depth: new Map<string, number>(),
  };
  for (const org of table.orgs) table.depth.set(org.id, ancestors(table, org.id).length);
  return table;
}

function stationKey(platformId: string, stationId: string): string {
  return `${platformId}\u0000${stationId}`;
}

/**
 * The organization that covers a place; the most specific match wins, tier by tier:
 *
 * 1. station: an org whose `platforms` lists the platform and whose `stations` lists the station
 *    (station ids are the platform's own, so a station match needs the platform named);
 * 2. platform and region: an org whose `platforms` lists the platform, whose `stations` is empty,
 *    and one of whose `regions` is a prefix of the region code; the longest prefix wins;
 * 3. region: an org with `platforms: []` and `stations: []` (it covers every platform there),
 *    one of whose `regions` is a prefix of the region code; the longest prefix wins.
 *
 * Tiers are strict: a platform committee covering a whole province beats a street committee for
 * that platform's workers, because the paper has platforms carry the work for their own workers.
 * An org that lists stations is a station's group and is found only by its stations, never by
 * region. Ties inside a tier (same prefix length, or two orgs listing one station) go to the org
 * deeper in the tree, then to the smaller id, so every process picks the same org.
 */
export function route<O extends RoutingOrg>(table: RoutingTable<O>, place: Place): Route<O> | null {
  const { platformId, regionCode, stationId } = place;
  if (stationId !== undefined) {
    const org = pick(table, table.byStation.get(stationKey(platformId, stationId)) ?? []);
    if (org) return { org, tier: "station", prefix: "" };
  }
  for (const tier of ["platform_region", "region"] as const) {
    for (let length = regionCode.length; length > 0; length--) {
      const prefix = regionCode.slice(0, length);
      const candidates = (table.byRegion.get(prefix) ?? []).filter((org) =>
        tier === "region" ? org.platforms.length === 0 : org.platforms.includes(platformId),
      );
      const org = pick(table, candidates);
      if (org) return { org, tier, prefix };
    }
  }
  return null;
}

function pick<O extends RoutingOrg>(table: RoutingTable<O>, candidates: readonly O[]): O | undefined {
  let best: O | undefined;
  for (const org of candidates) {
    if (!best) {
      best = org;
      continue;
    }
    const d = (table.depth.get(org.id) ?? 0) - (table.depth.get(best.id) ?? 0);
    if (d > 0 || (d === 0 && org.id < best.id)) best = org;
  }
  return best;
}

/** The org's parents, nearest first; stops at a root, an unknown parent or a cycle. */
export function ancestors<O extends RoutingOrg>(table: RoutingTable<O>, id: string): O[] {
  const out: O[] = [];
  const seen = new Set<string>([id]);
  let parent = table.byId.get(id)?.parent ?? null;
  while (parent !== null && !seen.has(parent)) {
    const org = table.byId.get(parent);
    if (!org) break;
    out.push(org);
    seen.add(parent);
    parent = org.parent;
  }
  return out;
}

/** The org and every org below it, in breadth-first order (the org itself first). Empty if unknown. */
export function descendants<O extends RoutingOrg>(table: RoutingTable<O>, id: string): O[] {
  const root = table.byId.get(id);
  if (!root) return [];
  const out: O[] = [root];
  const seen = new Set<string>([id]);
  for (let i = 0; i < out.length; i++) {
    for (const child of table.children.get(out[i]!.id) ?? []) {
      if (seen.has(child.id)) continue;
      seen.add(child.id);
      out.push(child);
    }
  }
  return out;
}

/** Whether `orgId` is `viewerId` or below it: what an org may see and change. */
export function isWithin(table: RoutingTable, viewerId: string, orgId: string): boolean {
  return viewerId === orgId || ancestors(table, orgId).some((org) => org.id === viewerId);
}

/** A `no_route` explanation free of personal data. */
export function describePlace(place: Place): string {
  const station = place.stationId ? `, station ${place.stationId}` : "";
  return `no organization covers platform ${place.platformId}, region ${place.regionCode}${station}`;
}
