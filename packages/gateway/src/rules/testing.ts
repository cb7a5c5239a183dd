import {
  defaultDeadlines,
  type OrgConfig,
  type Signal,
  type SignalInputOf,
  type SignalType,
  signalExamples,
  signalSchema,
} from "@gigbridge/schemas";
import type { RuleContext, WorkerRecord } from "./decision.js";
import { buildRoutingTable } from "./routing.js";

// Fixtures for tests of the rules and of the stages around them. Every name, org and id is fictional.

function org(fields: Pick<OrgConfig, "id" | "kind" | "parent" | "regions"> & Partial<OrgConfig>): OrgConfig {
  return {
    code: fields.id.toUpperCase(),
    name: fields.id,
    platforms: [],
    stations: [],
    keyHashes: [],
    ...fields,
  };
}

/**
 * A small tree: Beijing's committee over Chaoyang district, which has a street committee, the
 * fastmeal platform committee and, below that, a party group at fastmeal's station st_chaoyang_07;
 * Pudong district stands alone. Nothing covers Guangdong (44).
 */
export const testOrgs: OrgConfig[] = [
  org({ id: "bj-committee", kind: "industry_committee", parent: null, regions: ["11"] }),
  org({ id: "chaoyang-district", kind: "district_committee", parent: "bj-committee", regions: ["110105"] }),
  org({
    id: "chaoyang-street",
    kind: "street_committee",
    parent: "chaoyang-district",
    regions: ["110105001"],
  }),
  org({
    id: "fastmeal-chaoyang",
    kind: "platform_committee",
    parent: "chaoyang-district",
    regions: ["110105"],
    platforms: ["fastmeal"],
  }),
  org({
    id: "fastmeal-st07-group",
    kind: "party_group",
    parent: "fastmeal-chaoyang",
    regions: ["110105"],
    platforms: ["fastmeal"],
    stations: ["st_chaoyang_07"],
  }),
  org({ id: "pudong-district", kind: "district_committee", parent: null, regions: ["310115"] }),
];

export const testTable = buildRoutingTable(testOrgs);

/** 2024-06-10T00:00:00Z: processing time in rule tests. */
export const NOW = Date.UTC(2024, 5, 10);

export function ruleContext(overrides: Partial<RuleContext> = {}): RuleContext {
  return {
    platformId: "quickride",
    subjectId: "sub_test_subject",
    table: testTable,
    deadlines: defaultDeadlines,
    now: NOW,
    ...overrides,
  };
}

type DataOf<T extends SignalType> = SignalInputOf<T>["data"];

/**
 * A valid signal of a type: the schema's example with `data` fields replaced (a field set to
 * `undefined` is removed), parsed by the real schema so a fixture can never drift from the contract.
 */
export function makeSignal<T extends SignalType>(
  type: T,
  data: { [K in keyof DataOf<T>]?: DataOf<T>[K] | undefined } = {},
  envelope: { id?: string; occurredAt?: string } = {},
): Signal & { type: T } {
  const example = signalExamples[type];
  const merged = Object.fromEntries(
    Object.entries({ ...example.data, ...data }).filter(([, value]) => value !== undefined),
  );
  return signalSchema.parse({ ...example, ...envelope, data: merged }) as Signal & { type: T };
}

export const consentAll = {
  id: "cns_test",
  grantedAt: "2024-06-01T00:00:00Z",
  scopes: ["share_membership", "share_contact"] as ("share_membership" | "share_contact")[],
};
export const consentMembership = { ...consentAll, scopes: ["share_membership"] as "share_membership"[] };

/** A worker record; a full member at quickride in Chaoyang street by default. */
export function makeRecord(overrides: Partial<WorkerRecord> = {}): WorkerRecord {
  return {
    subjectId: "sub_test_subject",
    platformId: "quickride",
    regionCode: "110105001",
    orgId: "chaoyang-street",
    politicalStatus: "member",
    homeOrganization: { name: "示例镇第一党支部" },
    consent: consentMembership,
    active: true,
    updatedAt: "2024-06-01T00:00:00Z",
    ...overrides,
  };
}
