import type { z } from "zod";
import { type Labels, labelledEnum } from "./labelled.js";

export { type Label, type Labels, labelledEnum } from "./labelled.js";

export const politicalStatuses = [
  "member",
  "probationary",
  "activist",
  "applicant",
  "league_member",
  "none",
] as const;
export const politicalStatusLabels: Labels<typeof politicalStatuses> = {
  member: { en: "Full Party member", zh: "正式党员" },
  probationary: { en: "Probationary Party member", zh: "预备党员" },
  activist: { en: "Activist applying for Party membership", zh: "入党积极分子" },
  applicant: { en: "Applicant for Party membership", zh: "入党申请人" },
  league_member: { en: "Communist Youth League member", zh: "共青团员" },
  none: { en: "No political affiliation", zh: "群众" },
};
export const politicalStatusSchema = labelledEnum(
  politicalStatuses,
  politicalStatusLabels,
  "Political status (政治面貌) as declared by the worker. Sensitive personal information: sending any value other than `none` requires consent with scope `share_membership`.",
);
export type PoliticalStatus = z.infer<typeof politicalStatusSchema>;

export const workerRoles = ["rider", "driver", "courier", "freight", "other"] as const;
export const workerRoleLabels: Labels<typeof workerRoles> = {
  rider: { en: "Food-delivery rider", zh: "外卖骑手" },
  driver: { en: "Ride-hailing driver", zh: "网约车司机" },
  courier: { en: "Parcel courier", zh: "快递员" },
  freight: { en: "Freight truck driver", zh: "货车司机" },
  other: { en: "Other platform work", zh: "其他" },
};
export const workerRoleSchema = labelledEnum(
  workerRoles,
  workerRoleLabels,
  "The kind of work the worker does through the platform.",
);
export type WorkerRole = z.infer<typeof workerRoleSchema>;

export const employmentForms = ["full_time", "crowdsourced", "part_time", "franchise"] as const;
export const employmentFormLabels: Labels<typeof employmentForms> = {
  full_time: { en: "Full-time, dedicated to the platform", zh: "全职（专送）" },
  crowdsourced: { en: "Crowdsourced, takes orders freely", zh: "众包" },
  part_time: { en: "Part-time", zh: "兼职" },
  franchise: { en: "Through a franchisee or labour-service company", zh: "加盟" },
};
export const employmentFormSchema = labelledEnum(
  employmentForms,
  employmentFormLabels,
  "How the worker is engaged by the platform (用工形式).",
);
export type EmploymentForm = z.infer<typeof employmentFormSchema>;

export const activityKinds = ["study", "org_life", "volunteer", "training", "other"] as const;
export const activityKindLabels: Labels<typeof activityKinds> = {
  study: { en: "Political study", zh: "学习教育" },
  org_life: { en: "Organizational life meeting", zh: "组织生活" },
  volunteer: { en: "Volunteer service", zh: "志愿服务" },
  training: { en: "Skills training", zh: "技能培训" },
  other: { en: "Other activity", zh: "其他" },
};
export const activityKindSchema = labelledEnum(
  activityKinds,
  activityKindLabels,
  "Kind of activity that earns points on a member's ledger (党员积分).",
);
export type ActivityKind = z.infer<typeof activityKindSchema>;

export const appealCategories = ["wages", "accident", "insurance", "dispute", "housing", "other"] as const;
export const appealCategoryLabels: Labels<typeof appealCategories> = {
  wages: { en: "Unpaid or disputed pay", zh: "劳动报酬" },
  accident: { en: "Traffic accident or injury at work", zh: "交通事故与工伤" },
  insurance: { en: "Social or occupational injury insurance", zh: "社会保险" },
  dispute: { en: "Dispute with the platform, a customer or a merchant", zh: "纠纷调解" },
  housing: { en: "Housing and rest places", zh: "住房与休息场所" },
  other: { en: "Other appeal", zh: "其他诉求" },
};
export const appealCategorySchema = labelledEnum(
  appealCategories,
  appealCategoryLabels,
  "What a worker's appeal (诉求) is about.",
);
export type AppealCategory = z.infer<typeof appealCategorySchema>;

export const appealUrgencies = ["normal", "urgent"] as const;
export const appealUrgencyLabels: Labels<typeof appealUrgencies> = {
  normal: { en: "Normal: follow up within the normal deadline", zh: "一般" },
  urgent: { en: "Urgent: follow up within one day by default", zh: "紧急" },
};
export const appealUrgencySchema = labelledEnum(
  appealUrgencies,
  appealUrgencyLabels,
  "How soon the appeal needs a response; selects the follow-up deadline.",
);
export type AppealUrgency = z.infer<typeof appealUrgencySchema>;

export const offboardReasons = [
  "resigned",
  "contract_ended",
  "deactivated",
  "relocated_out",
  "other",
] as const;
export const offboardReasonLabels: Labels<typeof offboardReasons> = {
  resigned: { en: "The worker left of their own accord", zh: "主动离职" },
  contract_ended: { en: "The contract or agreement ended", zh: "合同到期" },
  deactivated: { en: "The platform deactivated the worker's account", zh: "账号停用" },
  relocated_out: { en: "The worker moved away from the platform's service area", zh: "迁出" },
  other: { en: "Other reason", zh: "其他" },
};
export const offboardReasonSchema = labelledEnum(
  offboardReasons,
  offboardReasonLabels,
  "Why the worker stopped working through the platform.",
);
export type OffboardReason = z.infer<typeof offboardReasonSchema>;

export const consentScopes = ["share_membership", "share_contact"] as const;
export const consentScopeLabels: Labels<typeof consentScopes> = {
  share_membership: {
    en: "Political status and home organization may be used to route follow-up work",
    zh: "同意使用政治面貌",
  },
  share_contact: {
    en: "Name and phone may reach the covering Party organization inside a task",
    zh: "同意向党组织提供联系方式",
  },
};
export const consentScopeSchema = labelledEnum(
  consentScopes,
  consentScopeLabels,
  "What the worker agreed to share (个人信息处理同意范围).",
);
export type ConsentScope = z.infer<typeof consentScopeSchema>;
