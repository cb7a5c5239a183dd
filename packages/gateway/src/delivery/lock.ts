/**
 * Slack between a delivery attempt's timeout and its queue lock: the Redis round
 * trips around the attempt (slot, secrets, bookkeeping) and event-loop pauses.
 */
export const LOCK_MARGIN_MS = 15_000;

/**
 * How long a delivery job's BullMQ lock lasts: the longest an attempt can take
 * (`delivery.timeout`, which the configuration bounds to 60 s) plus a margin.
 * BullMQ renews the lock while the job runs, but a renewal can be missed (an
 * event loop stalled past it); with a lock that outlasts the attempt on its own,
 * no other worker finds the job stalled and sends the same message while the
 * first attempt is still waiting for the receiver (the duplicate in-flight
 * delivery of svix-webhooks #2181, where the lock was shorter than the timeout).
 */
export function deliveryLockMs(timeoutMs: number): number {
  return timeoutMs + LOCK_MARGIN_MS;
}
