import type { SignalInputOf, SignalType } from "./index.js";

// One realistic, fictional example per signal type. They appear in the OpenAPI document and JSON Schema
// (`examples`) and are the first valid fixture of each type, so the documented example is always valid.
export const signalExamples: { readonly [T in SignalType]: SignalInputOf<T> } = {
  "worker.onboarded": {
    id: "sig_onb_0001",
    type: "worker.onboarded",
    occurredAt: "2024-06-01T09:30:00+08:00",
    data: {
      workerId: "w_100001",
      role: "rider",
      employment: "full_time",
      regionCode: "110105",
      stationId: "st_chaoyang_07",
      politicalStatus: "probationary",
      homeOrganization: { name: "示例县示例镇第一党支部", code: "ORG-0001" },
      consent: { id: "cns_0001", grantedAt: "2024-06-01T09:29:10+08:00", scopes: ["share_membership"] },
    },
  },
  "worker.offboarded": {
    id: "sig_off_0001",
    type: "worker.offboarded",
    occurredAt: "2024-06-20T18:00:00+08:00",
    data: { workerId: "w_100001", reason: "resigned" },
  },
  "worker.relocated": {
    id: "sig_rel_0001",
    type: "worker.relocated",
    occurredAt: "2024-07-01T08:00:00+08:00",
    data: {
      workerId: "w_100001",
      from: { regionCode: "110105", stationId: "st_chaoyang_07" },
      to: { regionCode: "310115005", stationId: "st_pudong_12" },
    },
  },
  "membership.declared": {
    id: "sig_mem_0001",
    type: "membership.declared",
    occurredAt: "2024-06-02T10:00:00+08:00",
    data: {
      workerId: "w_100001",
      politicalStatus: "member",
      regionCode: "110105",
      stationId: "st_chaoyang_07",
      homeOrganization: { name: "示例县示例镇第一党支部", code: "ORG-0001" },
      contact: { name: "测试骑手甲", phone: "13800000001" },
      consent: {
        id: "cns_0002",
        grantedAt: "2024-06-02T09:58:00+08:00",
        scopes: ["share_membership", "share_contact"],
      },
    },
  },
  "activity.completed": {
    id: "sig_act_0001",
    type: "activity.completed",
    occurredAt: "2024-06-05T20:00:00+08:00",
    data: { workerId: "w_100001", kind: "volunteer", hours: 2.5, activityId: "act_2024_0605_volunteer" },
  },
  "appeal.raised": {
    id: "sig_apl_0001",
    type: "appeal.raised",
    occurredAt: "2024-06-06T13:15:00+08:00",
    data: {
      workerId: "w_100002",
      category: "wages",
      urgency: "urgent",
      summary: "五月份配送费未按时结算，已联系站长未解决。",
      regionCode: "110105",
    },
  },
  "station.updated": {
    id: "sig_sta_0001",
    type: "station.updated",
    occurredAt: "2024-06-01T00:00:00+08:00",
    data: { stationId: "st_chaoyang_07", name: "朝阳门骑手驿站", regionCode: "110105", headcount: 42 },
  },
};
