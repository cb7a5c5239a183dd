import { createHash } from "node:crypto";
import type { EventType, RuleId } from "@gigbridge/schemas";

// 120 bits of SHA-256: collisions are out of reach at any realistic task volume, and ids stay short.
function digest(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 30);
}

/**
 * A task's id, derived from the signal and the rule that created it: processing the same signal
 * again (retry, stalled job, operator replay) names the same task, so it is never created twice.
 * The org is left out on purpose: a replay after the org tree changed must not make a second task.
 */
export function taskId(platformId: string, signalId: string, rule: RuleId): string {
  return `tsk_${digest(["signal", platformId, signalId, rule])}`;
}

/** R6 fires once per station, whichever signal brings it to the threshold. */
export function stationTaskId(platformId: string, stationId: string): string {
  return `tsk_${digest(["station", platformId, stationId, "R6"])}`;
}

/** An outbound event's id from what makes it unique, so the outbox sends it once however often it is enqueued. */
export function eventId(type: EventType, ...parts: string[]): string {
  return `evt_${digest([type, ...parts])}`;
}
