/**
 * Delivery's Redis keys. Everything about one organization's endpoints shares the
 * `{eo:<org>}` hash tag, so a Lua script or MULTI over an endpoint's definition,
 * health, attempt log and its messages' attempt logs stays in one Cluster slot.
 */
export const deliveryKeys = {
  /** Endpoints created through the API: endpoint id -> stored endpoint JSON. */
  endpoints: (orgId: string) => `gb:{eo:${orgId}}:endpoints`,
  /** Ids of this org's endpoints (from the API or the configuration) that are disabled. */
  disabled: (orgId: string) => `gb:{eo:${orgId}}:disabled`,
  /** One endpoint's health: failingSince, lastSuccessAt, lastFailureAt, disabledAt, disabledReason. */
  health: (orgId: string, endpointId: string) => `gb:{eo:${orgId}}:ep:${endpointId}:health`,
  /** One endpoint's in-flight deliveries (a semaphore): job id -> lease expiry. */
  inflight: (orgId: string, endpointId: string) => `gb:{eo:${orgId}}:ep:${endpointId}:inflight`,
  /** One endpoint's recent attempts, newest first (capped). */
  endpointAttempts: (orgId: string, endpointId: string) => `gb:{eo:${orgId}}:ep:${endpointId}:attempts`,
  /** One message's attempts, oldest first (capped). */
  messageAttempts: (orgId: string, messageId: string) => `gb:{eo:${orgId}}:msg:${messageId}:attempts`,
  /**
   * Across all orgs, for metrics and alerts: `<org>/<endpoint>` -> when it started failing, and
   * -> when it was disabled. Kept beside the per-org state by the worker and the enable/delete
   * paths; a lost update heals with the endpoint's next attempt.
   */
  failingBoard: "gb:{endpoint-health}:failing",
  disabledBoard: "gb:{endpoint-health}:disabled",
  /**
   * Set: ids of this org's messages about erased workers (30 d). An attempt that was in flight when
   * the erasure ran logs the receiver's response as `[erased]`, since it may echo the old body.
   */
  erasedMessages: (orgId: string) => `gb:{eo:${orgId}}:erased`,
} as const;
