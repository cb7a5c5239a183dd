import type { ActivityKind } from "@gigbridge/schemas";

/**
 * Points per hour of each activity kind (党员积分). Organizational life and volunteer service count
 * double: they are the Party's own work among the workers (the paper's 组织生活 and 志愿服务);
 * study and training count once; anything else half. Hours come in quarter hours, so every entry
 * is an exact multiple of 0.125 and sums stay exact in binary floating point.
 */
export const pointsPerHour: { readonly [K in ActivityKind]: number } = {
  org_life: 2,
  volunteer: 2,
  study: 1,
  training: 1,
  other: 0.5,
};

export function pointsFor(kind: ActivityKind, hours: number): number {
  return pointsPerHour[kind] * hours;
}
