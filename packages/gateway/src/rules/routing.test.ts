import { describe, expect, it } from "vitest";
import { ancestors, buildRoutingTable, descendants, isWithin, route } from "./routing.js";
import { testOrgs, testTable } from "./testing.js";

describe("route", () => {
  it.each([
    // platform, region, station, expected org, tier
    ["fastmeal", "110105", "st_chaoyang_07", "fastmeal-st07-group", "station"],
    ["fastmeal", "110105001", "st_chaoyang_07", "fastmeal-st07-group", "station"],
    // Platform-and-region beats a longer region prefix without a platform.
    ["fastmeal", "110105001", "st_other", "fastmeal-chaoyang", "platform_region"],
    ["fastmeal", "110105", undefined, "fastmeal-chaoyang", "platform_region"],
    // Another platform's station group does not cover this platform's workers.
    ["quickride", "110105", "st_chaoyang_07", "chaoyang-district", "region"],
    ["quickride", "110105001", undefined, "chaoyang-street", "region"],
    ["quickride", "110105002", undefined, "chaoyang-district", "region"],
    ["quickride", "110108", undefined, "bj-committee", "region"],
    ["quickride", "310115005", undefined, "pudong-district", "region"],
    // The platform committee covers only its regions; elsewhere the region tier applies.
    ["fastmeal", "310115", undefined, "pudong-district", "region"],
    ["fastmeal", "110108", undefined, "bj-committee", "region"],
  ])("%s in %s at %s goes to %s (%s)", (platformId, regionCode, stationId, orgId, tier) => {
    const found = route(testTable, { platformId, regionCode, stationId });
    expect(found?.org.id).toBe(orgId);
    expect(found?.tier).toBe(tier);
  });

  it("answers null where nobody covers the region", () => {
    expect(route(testTable, { platformId: "quickride", regionCode: "440305" })).toBeNull();
    expect(route(testTable, { platformId: "fastmeal", regionCode: "440305", stationId: "st_x" })).toBeNull();
  });

  it("finds a station group only by its station, never by its regions", () => {
    const found = route(testTable, { platformId: "fastmeal", regionCode: "110105" });
    expect(found?.org.id).not.toBe("fastmeal-st07-group");
  });

  it("breaks ties by depth in the tree, then by id", () => {
    const base = {
      code: "C",
      name: "n",
      kind: "branch" as const,
      platforms: [],
      stations: [],
      keyHashes: [],
    };
    const table = buildRoutingTable([
      { ...base, id: "root", parent: null, regions: ["11"] },
      { ...base, id: "zeta", parent: "root", regions: ["1101"] },
      { ...base, id: "alpha", parent: "root", regions: ["1101"] },
      { ...base, id: "shallow", parent: null, regions: ["1101"] },
    ]);
    expect(route(table, { platformId: "p", regionCode: "110101" })?.org.id).toBe("alpha");
  });

  it("sees an org added later once the table is rebuilt", () => {
    const place = { platformId: "quickride", regionCode: "440305" };
    expect(route(testTable, place)).toBeNull();
    const added = buildRoutingTable([
      ...testOrgs,
      { ...testOrgs[0]!, id: "shenzhen-nanshan", parent: null, regions: ["440305"] },
    ]);
    expect(route(added, place)?.org.id).toBe("shenzhen-nanshan");
  });
});

describe("the org tree", () => {
  it("lists an org and everything below it", () => {
    expect(descendants(testTable, "chaoyang-district").map((o) => o.id)).toEqual([
      "chaoyang-district",
      "chaoyang-street",
      "fastmeal-chaoyang",
      "fastmeal-st07-group",
    ]);
    expect(descendants(testTable, "pudong-district").map((o) => o.id)).toEqual(["pudong-district"]);
    expect(descendants(testTable, "nobody")).toEqual([]);
  });

  it("lists an org's parents, nearest first", () => {
    expect(ancestors(testTable, "fastmeal-st07-group").map((o) => o.id)).toEqual([
      "fastmeal-chaoyang",
      "chaoyang-district",
      "bj-committee",
    ]);
    expect(ancestors(testTable, "bj-committee")).toEqual([]);
  });

  it("lets an org see itself and orgs below it, not beside or above it", () => {
    expect(isWithin(testTable, "chaoyang-district", "fastmeal-st07-group")).toBe(true);
    expect(isWithin(testTable, "chaoyang-district", "chaoyang-district")).toBe(true);
    expect(isWithin(testTable, "chaoyang-street", "fastmeal-chaoyang")).toBe(false);
    expect(isWithin(testTable, "fastmeal-chaoyang", "chaoyang-district")).toBe(false);
    expect(isWithin(testTable, "pudong-district", "chaoyang-street")).toBe(false);
  });

  it("stops at a cycle instead of looping", () => {
    const base = {
      code: "C",
      name: "n",
      kind: "branch" as const,
      regions: [],
      platforms: [],
      stations: [],
      keyHashes: [],
    };
    const table = buildRoutingTable([
      { ...base, id: "a", parent: "b" },
      { ...base, id: "b", parent: "a" },
    ]);
    expect(ancestors(table, "a").map((o) => o.id)).toEqual(["b"]);
    expect(descendants(table, "a").map((o) => o.id)).toEqual(["a", "b"]);
  });
});
