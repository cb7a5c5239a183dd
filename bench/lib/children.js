// @ts-check
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";

/**
 * @typedef {object} SpawnOptions
 * @property {Record<string, string>} [env]
 * @property {string[]} [nodeArgs]
 * @property {RegExp} [ready] output on stdout that marks the child as started
 * @property {number} [readyTimeoutMs]
 */

/**
 * @typedef {object} Child
 * @property {string} name
 * @property {import("node:child_process").ChildProcessByStdio<null, import("node:stream").Readable, import("node:stream").Readable>} child
 * @property {number | undefined} pid
 * @property {number} loggedBytes
 * @property {() => string} output
 * @property {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} exited
 * @property {() => number | null} peakRss
 * @property {() => number | null} rss
 * @property {(graceMs?: number) => Promise<void>} stop
 * @property {Promise<void>} [ready] settles once `ready` matched (only when given)
 */

/** Every child this run started; all are killed on exit, error or signal. @type {Set<Child>} */
const children = new Set();

/**
 * Starts a node child process and keeps its output for error reports.
 * `ready` (optional) is a RegExp on stdout that marks the child as started;
 * after that only the size of its output and its last chunk are kept, so a
 * chatty child costs the parent (the load generator) next to nothing.
 */
/**
 * @param {string} name
 * @param {string[]} args
 * @param {SpawnOptions} [options]
 * @returns {Child}
 */
export function spawnNode(name, args, { env = {}, nodeArgs = [], ready, readyTimeoutMs = 20_000 } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  /** @type {Buffer | string} */
  let lastChunk = "";
  let quiet = false;
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    if (quiet) {
      handle.loggedBytes += chunk.length;
      lastChunk = chunk;
      return;
    }
    output += chunk.toString();
    if (output.length > 20_000) output = output.slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  /** @type {Child} */
  const handle = {
    name,
    child,
    pid: child.pid,
    /** Bytes the child wrote to stdout and stderr after it was ready. */
    loggedBytes: 0,
    output: () => (quiet ? `${output}\n...\n${lastChunk.toString()}` : output),
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
    /** Peak resident set size (VmHWM) in bytes, read from /proc while the child is alive. */
    peakRss: () => readStatus(child.pid, "VmHWM"),
    rss: () => readStatus(child.pid, "VmRSS"),
    /** SIGTERM (lets --cpu-prof write its profile), then SIGKILL after `graceMs`. */
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await handle.exited;
      clearTimeout(timer);
      children.delete(handle);
    },
  };
  children.add(handle);
  handle.exited.then(() => children.delete(handle));
  if (ready) {
    handle.ready = new Promise((/** @type {(value?: void) => void} */ resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not start within ${readyTimeoutMs} ms:\n${output}`)),
        readyTimeoutMs,
      );
      const check = () => {
        if (ready.test(output)) {
          clearTimeout(timer);
          child.stdout.off("data", check);
          quiet = true;
          resolve();
        }
      };
      child.stdout.on("data", check);
      handle.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${output}`));
      });
    });
    handle.ready.catch(() => {});
  }
  return handle;
}

/**
 * Reads a `kB` field of /proc/<pid>/status, in bytes; null when the process is gone.
 * @param {number | undefined} pid
 * @param {string} field
 * @returns {number | null}
 */
export function readStatus(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Kills every child still running, at once (used on errors and signals). */
export function killAll() {
  for (const handle of children) {
    try {
      handle.child.kill("SIGKILL");
    } catch {}
  }
  children.clear();
}

/** Extra cleanups (e.g. redis-server) run by `killAll` paths. */
/** @type {(() => unknown)[]} */
const cleanups = [];
/** @param {() => unknown} fn */
export function onCleanup(fn) {
  cleanups.push(fn);
}
export async function cleanupAll() {
  killAll();
  for (const fn of cleanups.splice(0).reverse()) {
    try {
      await fn();
    } catch {}
  }
}

/**
 * CPU time (user + system) a process has used so far, in microseconds; null when it is gone.
 * @param {number | undefined} pid
 * @returns {number | null}
 */
export function cpuMicros(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat, 100 on Linux. */
const CLOCK_TICKS = 100;
