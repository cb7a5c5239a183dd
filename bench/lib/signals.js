// @ts-check
/**
 * Request bodies for the load generator. Every signal gets a unique id (the
 * gateway would otherwise acknowledge duplicates, which skip the enqueue), so
 * bodies are built by string concatenation around a fixed template: the
 * generator's own cost stays small and is the same for the ceiling.
 */

const regions = ["110105001", "110105002"];
/** @typedef {import("@gigbridge/schemas").SignalOf<"appeal.raised">["data"]["category"]} AppealCategory */
/** @type {AppealCategory[]} */
const categories = ["wages", "accident", "insurance", "dispute", "housing", "other"];
const summary = "五月份配送费未按时结算，已联系站长未解决。Delivery fees for May were not settled on time.";

/**
 * One `appeal.raised` signal as JSON text: any worker's appeal becomes a follow-up task (rule R5).
 * @param {string} id
 * @param {number} n
 * @param {string} [occurredAt]
 */
export function appealJson(id, n, occurredAt = new Date().toISOString()) {
  return (
    `{"id":"${id}","type":"appeal.raised","occurredAt":"${occurredAt}","data":{"workerId":"w_${n % 50_000}",` +
    `"category":"${categories[n % categories.length]}","urgency":"${n % 10 === 0 ? "urgent" : "normal"}",` +
    `"summary":"${summary}","regionCode":"${regions[n % regions.length]}"}}`
  );
}

/** @typedef {() => { id: string, n: number }} IdSource */

/**
 * A generator of unique signal ids: `<tag>-<n>`.
 * @param {string} tag
 * @returns {IdSource}
 */
export function idSource(tag) {
  let n = 0;
  return () => {
    n += 1;
    return { id: `${tag}-${n}`, n };
  };
}

/**
 * Body of `POST /v1/signals`: one signal.
 * @param {IdSource} next
 * @param {string} [occurredAt]
 */
export function singleBody(next, occurredAt) {
  const { id, n } = next();
  return appealJson(id, n, occurredAt);
}

/**
 * Body of `POST /v1/signals/batch`: `size` signals.
 * @param {IdSource} next
 * @param {number} size
 * @param {string} [occurredAt]
 */
export function batchBody(next, size, occurredAt) {
  const parts = new Array(size);
  for (let i = 0; i < size; i++) {
    const { id, n } = next();
    parts[i] = appealJson(id, n, occurredAt);
  }
  return `{"signals":[${parts.join(",")}]}`;
}

/**
 * The same signal as an object (for the SDK, which builds its own envelope and id).
 * @param {number} n
 * @returns {import("@gigbridge/sdk").SignalRequest}
 */
export function appealRequest(n) {
  return {
    type: "appeal.raised",
    data: {
      workerId: `w_${n % 50_000}`,
      category: /** @type {AppealCategory} */ (categories[n % categories.length]),
      urgency: n % 10 === 0 ? "urgent" : "normal",
      summary,
      regionCode: /** @type {string} */ (regions[n % regions.length]),
    },
  };
}
