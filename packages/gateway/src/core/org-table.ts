import { buildRoutingTable, type RoutingTable } from "../rules/routing.js";
import type { Gateway } from "./context.js";
import type { Org } from "./orgs.js";

// The directory hands out the same array until the tree changes, so one table per array is enough.
const tables = new WeakMap<readonly Org[], RoutingTable<Org>>();

/**
 * The routing table of the org tree as it is now, including orgs operators added at run time:
 * read on every use, never frozen at start, so a replay after an org was added routes to it.
 */
export async function routingTableOf(gw: Gateway): Promise<RoutingTable<Org>> {
  const orgs = await gw.orgs.list();
  let table = tables.get(orgs);
  if (!table) {
    table = buildRoutingTable(orgs);
    tables.set(orgs, table);
  }
  return table;
}
