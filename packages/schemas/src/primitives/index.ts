import { z } from "zod";
import { consentScopeSchema, consentScopes } from "../enums/index.js";
import { boundedText } from "./text.js";

export { type BoundedTextOptions, boundedText, cleanText } from "./text.js";

/** Two-digit GB/T 2260 province-level codes (including 71 Taiwan, 81 Hong Kong, 82 Macao). */
export const provinceCodes = [
  "11",
  "12",
  "13",
  "14",
  "15",
  "21",
  "22",
  "23",
  "31",
  "32",
  "33",
  "34",
  "35",
  "36",
  "37",
  "41",
  "42",
  "43",
  "44",
  "45",
  "46",
  "50",
  "51",
  "52",
  "53",
  "54",
  "61",
  "62",
  "63",
  "64",
  "65",
  "71",
  "81",
  "82",
] as const;

const PROVINCE = "(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])";

export const regionCodeSchema = z
  .string()
  .regex(new RegExp(`^${PROVINCE}\\d{4}(?:\\d{3})?$`), {
    message:
      "must be a GB/T 2260 administrative division code: 6 digits (county) or 9 digits (street) starting with a province code",
  })
  .meta({
    description:
      "Administrative division code (行政区划代码, GB/T 2260): 6 digits for a county-level division (区县) or 9 digits for a street or township (街道/乡镇); the first two digits are a province code.",
    examples: ["110105", "310115005"],
  });

/** A region prefix used for routing: 2 (province), 4 (city), 6 (county) or 9 (street) digits. */
export const regionPrefixSchema = z
  .string()
  .regex(new RegExp(`^${PROVINCE}(?:\\d{2}|\\d{4}|\\d{7})?$`), {
    message: "must be a GB/T 2260 code prefix of 2, 4, 6 or 9 digits starting with a province code",
  })
  .meta({
    description:
      "Region prefix an organization covers (GB/T 2260): 2 digits province (省), 4 city (市), 6 county (区县), 9 street (街道).",
    examples: ["11", "1101", "110105", "110105001"],
  });

const OPAQUE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
function opaqueId(description: string, examples: string[]) {
  return z
    .string()
    .regex(OPAQUE_ID, { message: "must be 1 to 128 characters of letters, digits and _-.:" })
    .meta({ description, examples });
}

export const signalIdSchema = opaqueId(
  "Idempotency key chosen by the platform: 1 to 128 characters of letters, digits and `_-.:`. The same id sent twice is one signal.",
  ["sig_01HZX3K9V2", "order-2024-06-01:8812"],
);
export const workerIdSchema = opaqueId(
  "The platform's own id for the worker. GigBridge stores only a pseudonymous subject id derived from it.",
  ["w_100234"],
);
export const stationIdSchema = opaqueId("The platform's id for a station or service point (站点/驿站).", [
  "st_chaoyang_07",
]);
export const activityIdSchema = opaqueId(
  "The platform's id for the activity; one points entry per activity.",
  ["act_2024_0601_study"],
);
export const consentIdSchema = opaqueId("The platform's id for the consent record, for audit.", ["cns_7781"]);
export const subjectIdSchema = z
  .string()
  .regex(OPAQUE_ID, { message: "must be 1 to 128 characters of letters, digits and _-.:" })
  .meta({
    description:
      "Pseudonymous subject id (主体标识) for a worker: derived from the platform's worker id by a keyed hash, stable per platform.",
    examples: ["sub_3f1c9a0e7b2d4c58"],
  });
export const taskIdSchema = opaqueId("Task id assigned by GigBridge.", ["tsk_01J0A8Z6QH"]);

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
function slug(description: string, examples: string[]) {
  return z
    .string()
    .regex(SLUG, {
      message: "must be a slug: lowercase letters, digits and inner hyphens, at most 64 characters",
    })
    .meta({ description, examples });
}
export const platformIdSchema = slug("Platform (tenant) id in GigBridge's configuration.", ["fastmeal"]);
export const orgIdSchema = slug("Party organization id in GigBridge's configuration.", [
  "chaoyang-riders-branch",
]);
export const endpointIdSchema = slug("Webhook endpoint id in GigBridge's configuration.", ["chaoyang-oa"]);

export const timestampSchema = z.iso.datetime({ offset: true }).meta({
  description: "RFC 3339 date-time with seconds and an explicit offset (`Z` or `+08:00`).",
  examples: ["2024-06-01T09:30:00+08:00"],
});

export const mobilePhoneSchema = z
  .string()
  .regex(/^(?:\+86)?1[3-9]\d{9}$/, {
    message: "must be a mainland China mobile number (11 digits starting 13-19)",
  })
  .overwrite((value) => value.replace(/^\+86/, ""))
  .meta({
    description:
      "Mainland China mobile number (手机号): 11 digits starting 13-19, optionally prefixed `+86`, which is removed.",
    examples: ["13800000000"],
  });

export const contactSchema = z
  .strictObject({
    name: boundedText(64).meta({ description: "The worker's name (姓名).", examples: ["张三"] }),
    phone: mobilePhoneSchema,
  })
  .meta({
    id: "Contact",
    description:
      "Contact details (联系方式). Sent only with consent scope `share_contact`; they leave GigBridge only inside a task for the covering organization.",
  });
export type Contact = z.infer<typeof contactSchema>;

export const homeOrganizationSchema = z
  .strictObject({
    name: boundedText(128).meta({
      description: "Name of the Party organization the worker's membership is held in.",
      examples: ["某县某镇第一党支部"],
    }),
    code: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, { message: "must be 1 to 64 characters of letters, digits and _-.:" })
      .optional()
      .meta({ description: "The organization's code where known (组织代码)." }),
  })
  .meta({
    id: "HomeOrganization",
    description: "The Party organization the worker's membership is currently held in (原所在党组织).",
  });
export type HomeOrganization = z.infer<typeof homeOrganizationSchema>;

export const consentSchema = z
  .strictObject({
    id: consentIdSchema,
    grantedAt: timestampSchema.describe("When the worker granted consent (RFC 3339 with offset)."),
    scopes: z
      .array(consentScopeSchema)
      .min(1, { message: "must list at least one scope" })
      .max(consentScopes.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, { message: "scopes must not repeat" })
      .meta({ description: "What the worker agreed to share.", uniqueItems: true }),
  })
  .meta({
    id: "Consent",
    description:
      "The worker's consent record (个人信息处理同意记录, PIPL art. 29). Required whenever political status, home organization or contact details are sent.",
  });
export type Consent = z.infer<typeof consentSchema>;
