// @ts-check
import { readFileSync } from "node:fs";

/**
 * @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame
 * @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[], startTime: number }} CpuProfile
 * @typedef {{ name: string, ms: number, share: number }} Ranked
 * @typedef {{ totalMs: number, idleMs: number, functions: Ranked[], places: Ranked[], inclusive: Ranked[] }} ProfileSummary
 */

/**
 * Where a profiled function lives: a package, the gateway's own code, Node internals, or V8.
 * @param {string} url
 * @returns {string}
 */
function placeOf(url) {
  if (!url) return "(native/V8)";
  if (url.startsWith("node:")) return "node internals";
  const pkg = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (pkg?.[1]) return pkg[1];
  const own = url.match(/packages\/([^/]+)\/dist\/(.*)$/);
  if (own) return `@gigbridge/${own[1]}`;
  return url.replace(/^file:\/\//, "");
}

/** @param {string} url */
function shortUrl(url) {
  if (!url) return "";
  const pkg = url.match(/node_modules\/(.*)$/);
  if (pkg?.[1]) return pkg[1];
  const own = url.match(/packages\/(.*)$/);
  if (own?.[1]) return own[1];
  return url.replace(/^file:\/\//, "");
}

/** @param {CallFrame} callFrame */
function frameKey(callFrame) {
  const name = callFrame.functionName || "(anonymous)";
  return `${name} ${shortUrl(callFrame.url)}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ""}`;
}

/**
 * Self time per function and per package from a V8 .cpuprofile (as written by
 * `node --cpu-prof`): the sample time spent in each node, summed. With a
 * `window` ({from, to} in µs of CLOCK_MONOTONIC, as `process.hrtime` and V8's
 * sample timestamps both use) only samples inside it count.
 */
/**
 * @param {string} path
 * @param {{ top?: number, window?: { from: number, to: number } }} [options]
 * @returns {ProfileSummary}
 */
export function summarizeProfile(path, { top = 15, window } = {}) {
  /** @type {CpuProfile} */
  const profile = JSON.parse(readFileSync(path, "utf8"));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  /** @param {number} id */
  const node = (id) => /** @type {ProfileNode} */ (byId.get(id));
  /** @type {Map<number, number>} */
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Start-up (module loading) is not what the benchmark is about: count from the first
  // sample taken inside request handling or a queue worker's job, and leave out idle time.
  /** @type {Map<number, boolean>} */
  const working = new Map();
  /** @type {(id: number) => boolean} */
  const isWork = (id) => {
    const known = working.get(id);
    if (known !== undefined) return known;
    const { url } = node(id).callFrame;
    const up = parent.get(id);
    /** @type {boolean} */
    const value =
      /@hono\/node-server|bullmq\/dist\/cjs\/classes\/worker/.test(url) || (up !== undefined && isWork(up));
    working.set(id, value);
    return value;
  };
  /** @type {Map<number, number>} */
  const self = new Map();
  /** @type {Map<string, number>} */
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  let started = false;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (window) {
      if (at < window.from || at > window.to) return;
    } else {
      started ||= isWork(id);
      if (!started) return;
    }
    if (node(id).callFrame.functionName === "(idle)") {
      idle += dt;
      return;
    }
    total += dt;
    self.set(id, (self.get(id) ?? 0) + dt);
    // Inclusive time of library and gateway frames: each function once per sample.
    const seen = new Set();
    for (let cur = /** @type {number | undefined} */ (id); cur !== undefined; cur = parent.get(cur)) {
      const { callFrame } = node(cur);
      if (!callFrame.url || callFrame.url.startsWith("node:")) continue;
      const key = frameKey(callFrame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
    }
  });
  /** @type {Map<string, number>} */
  const fns = new Map();
  /** @type {Map<string, number>} */
  const places = new Map();
  for (const [id, us] of self) {
    const { callFrame } = node(id);
    const key = frameKey(callFrame);
    fns.set(key, (fns.get(key) ?? 0) + us);
    const place = placeOf(callFrame.url);
    places.set(place, (places.get(place) ?? 0) + us);
  }
  /** @param {Map<string, number>} map */
  const rank = (map) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    functions: rank(fns),
    places: rank(places),
    inclusive: rank(inclusive),
  };
}

/**
 * @param {string} title
 * @param {ProfileSummary} summary
 */
export function formatProfile(title, summary) {
  /** @param {Ranked} r */
  const line = (r) =>
    `  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`;
  return [
    `${title}: ${summary.totalMs.toFixed(0)} ms busy, ${summary.idleMs.toFixed(0)} ms idle`,
    " self time by package:",
    ...summary.places.map(line),
    " self time by function:",
    ...summary.functions.map(line),
    " inclusive time of library and gateway functions:",
    ...summary.inclusive.map(line),
  ].join("\n");
}
