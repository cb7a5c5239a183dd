import type { z } from "zod";
import type { ConsentScope, PoliticalStatus } from "../enums/index.js";
import type { Consent } from "../primitives/index.js";

interface SensitiveData {
  politicalStatus?: PoliticalStatus | undefined;
  homeOrganization?: unknown;
  contact?: unknown;
  consent?: Consent | undefined;
}

const PURPOSE: Record<ConsentScope, string> = {
  share_membership: "political status or home organization",
  share_contact: "contact details",
};

/** The consent scopes a signal's data needs. `none` reveals no membership, so it needs no consent. */
export function requiredScopes(data: SensitiveData): ConsentScope[] {
  const scopes: ConsentScope[] = [];
  const revealsMembership =
    (data.politicalStatus !== undefined && data.politicalStatus !== "none") ||
    data.homeOrganization !== undefined;
  if (revealsMembership) scopes.push("share_membership");
  if (data.contact !== undefined) scopes.push("share_contact");
  return scopes;
}

/** Rejects sensitive data sent without the consent scope it needs; the message names the missing scope. */
export function checkConsent(data: SensitiveData, ctx: z.RefinementCtx<SensitiveData>): void {
  for (const scope of requiredScopes(data)) {
    if (data.consent?.scopes.includes(scope)) continue;
    ctx.addIssue({
      code: "custom",
      path: data.consent ? ["consent", "scopes"] : ["consent"],
      message: `consent scope ${scope} is required to send ${PURPOSE[scope]}`,
      params: { reason: "consent_required", scope },
    });
  }
}

// Explicit `type`s and `properties` keep the rule valid under ajv's strict mode (strictTypes, strictRequired).
const requiresScope = (scope: ConsentScope) => ({
  type: "object",
  required: ["consent"],
  properties: {
    consent: { type: "object", properties: { scopes: { type: "array", contains: { const: scope } } } },
  },
});

/**
 * The same rule as {@link checkConsent} in JSON Schema 2020-12 terms, attached to the data schemas' metadata
 * so the exported JSON Schema (and the OpenAPI 3.1 document) enforce it too.
 */
export const consentJsonSchemaRule = [
  {
    if: {
      type: "object",
      required: ["politicalStatus"],
      properties: { politicalStatus: { not: { const: "none" } } },
    },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
    then: requiresScope("share_membership"),
  },
  {
    if: { type: "object", required: ["homeOrganization"], properties: { homeOrganization: true } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
    then: requiresScope("share_membership"),
  },
  {
    if: { type: "object", required: ["contact"], properties: { contact: true } },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword
    then: requiresScope("share_contact"),
  },
];
