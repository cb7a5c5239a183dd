import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { join, resolve } from "node:path";
import { signalExamples } from "@gigbridge/schemas";
import { freePort, RedisServer, waitFor } from "@gigbridge/testkit";
import fc from "fast-check";

/**
 * The fuzz suite: fast-check drives generated requests at a real `gigbridge
 * serve` process (own redis-server) and checks, for every answer: no 5xx,
 * every error is problem+json, no credential echoed; and at the end: the
 * process is still up and its memory is back near its baseline.
 */

const root = resolve(import.meta.dirname, "../..");
const cli = join(root, "packages/gateway/dist/cli/main.js");
const dev = JSON.parse(readFileSync(join(root, "examples/dev/credentials.json"), "utf8")) as {
  platforms: Record<string, string>;
  orgs: Record<string, string>;
  operators: Record<string, { token: string }>;
};
const validKeys = [
  ...Object.values(dev.platforms),
  ...Object.values(dev.orgs),
  ...Object.values(dev.operators).map((o) => o.token),
];

export interface FuzzFigures {
  requests: number;
  byStatus: Record<string, number>;
  failures: string[];
  rssBaselineMb: number;
  rssEndMb: number;
  alive: boolean;
  seconds: number;
}

const paths = [
  "/v1/signals",
  "/v1/signals/batch",
  "/v1/signals/sig-1",
  "/v1/tasks",
  "/v1/tasks/tsk_x",
  "/v1/tasks/tsk_x/acknowledge",
  "/v1/tasks/tsk_x/complete",
  "/v1/tasks/tsk_x/cancel",
  "/v1/members/sub_x/points",
  "/v1/endpoints",
  "/v1/endpoints/ep-1",
  "/v1/endpoints/ep-1/rotate-secret",
  "/v1/endpoints/ep-1/enable",
  "/v1/endpoints/ep-1/test",
  "/v1/endpoints/ep-1/attempts",
  "/v1/ops/failures",
  "/v1/ops/failures/signals:x",
  "/v1/ops/replays",
  "/v1/ops/replays/rpl_x",
  "/v1/ops/audit",
  "/v1/ops/orgs",
  "/v1/ops/orgs/o/endpoints/e/enable",
  "/v1/ops/credentials",
  "/v1/ops/credentials/key_0000000000000000/revoke",
  "/ops/queues",
  "/ops/queues/api/queues",
  "/openapi.json",
  "/docs",
  "/healthz",
  "/readyz",
  "/metrics",
  "/nope",
];

const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"];

const hostileKeys = fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty");

/** Any JSON, with prototype-polluting keys mixed in. */
const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constant(null),
    fc.boolean(),
    fc.double(),
    fc.integer(),
    fc.string(),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), hostileKeys), tie("value"), { maxKeys: 5 }),
  ),
})).value;

/** A valid signal with one field replaced by something else. */
const mutatedSignal = fc
  .tuple(fc.constantFrom(...Object.values(signalExamples)), fc.string({ maxLength: 12 }), hostileJson)
  .map(([example, key, value]) => {
    const copy = JSON.parse(JSON.stringify(example)) as Record<string, unknown> & {
      data: Record<string, unknown>;
    };
    const fields = Object.keys(copy.data);
    const field = fields[key.length % fields.length] ?? key;
    if (key.length % 3 === 0) copy[Object.keys(copy)[key.length % 4] ?? "id"] = value;
    else copy.data[field] = value;
    copy.id = `fz-${key.replace(/[^A-Za-z0-9]/g, "")}${key.length}`;
    return JSON.stringify(copy);
  });

const nested = fc
  .tuple(fc.integer({ min: 100, max: 50_000 }), fc.constantFrom("[", '{"a":'))
  .map(([depth, open]) => (open === "[" ? "[".repeat(depth) + "]".repeat(depth) : open.repeat(depth)));

const body: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  fc.constant(undefined),
  mutatedSignal.map((text) => Buffer.from(text)),
  hostileJson.map((value) => Buffer.from(JSON.stringify(value) ?? "null")),
  mutatedSignal.chain((text) => fc.nat({ max: text.length }).map((cut) => Buffer.from(text.slice(0, cut)))),
  nested.map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  mutatedSignal.map((text) =>
    Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from([0xff, 0xfe]), Buffer.from("}}")]),
  ),
  fc.constant(Buffer.from(JSON.stringify({ signals: Array(20_000).fill(1) }))),
  fc.constant(Buffer.alloc(1_100_000, 0x20)),
  fc.constant(Buffer.from('{"id":"a","id":"b"}')),
  fc.constant(Buffer.from('"\\ud800"')),
);

const auth = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(...validKeys).map((key) => `Bearer ${key}`),
  fc.constantFrom(...validKeys).map((key) => `Basic ${Buffer.from(`x:${key}`).toString("base64")}`),
  fc.string({ maxLength: 80 }).map((text) => `Bearer ${text.replace(/[\r\n]/g, "")}`),
  fc.constantFrom("Bearer", "bearer  ", "Token abc", `Bearer gb_pk_${"A".repeat(5000)}`),
);

const contentType = fc.constantFrom(
  undefined,
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "text/plain",
  "application/merge-patch+json",
  "multipart/form-data; boundary=x",
);

interface Generated {
  method: string;
  path: string;
  query: string;
  auth: string | undefined;
  contentType: string | undefined;
  body: Buffer | undefined;
  /** How the request goes out: fetch, or raw bytes with a framing problem. */
  framing: "fetch" | "short-length" | "long-length" | "bad-header" | "gzip-chunked";
}

const request: fc.Arbitrary<Generated> = fc.record({
  method: fc.constantFrom(...methods),
  path: fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...paths) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `/v1/${encodeURIComponent(s)}`) },
  ),
  query: fc.oneof(
    fc.constant(""),
    fc.constantFrom(
      "?limit=-1",
      "?limit=abc",
      "?cursor=%00",
      "?status=nope&kind=x",
      "?__proto__[x]=1",
      "?token=x",
    ),
  ),
  auth,
  contentType,
  body,
  framing: fc.oneof(
    { weight: 12, arbitrary: fc.constant("fetch" as const) },
    { weight: 1, arbitrary: fc.constantFrom("short-length", "long-length", "bad-header", "gzip-chunked") },
  ),
});

/** The credential sent, if any, so the answer can be checked for it. */
function credentialOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer\s+(\S{8,})/i.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = /^Basic\s+(\S+)/i.exec(header)?.[1];
  return basic
    ? Buffer.from(basic, "base64").toString().split(":").slice(1).join(":") || undefined
    : undefined;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

async function viaFetch(base: string, r: Generated): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (r.auth) headers.authorization = r.auth;
  if (r.contentType) headers["content-type"] = r.contentType;
  const withBody = r.body !== undefined && r.method !== "GET" && r.method !== "HEAD";
  const res = await fetch(base + r.path + r.query, {
    method: r.method,
    headers,
    ...(withBody ? { body: r.body } : {}),
    redirect: "manual",
  });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", text: await res.text() };
}

function viaSocket(base: string, r: Generated): Promise<Answer | undefined> {
  const { hostname, port } = new URL(base);
  const payload = r.body ?? Buffer.from("{}");
  const lines = [`${r.method === "HEAD" ? "POST" : r.method} ${r.path} HTTP/1.1`, "Host: fuzz"];
  if (r.auth) lines.push(`Authorization: ${r.auth}`);
  lines.push("Content-Type: application/json");
  let bodyBytes: Buffer = payload;
  if (r.framing === "short-length") lines.push(`Content-Length: ${Math.max(0, payload.length - 3)}`);
  if (r.framing === "long-length") lines.push(`Content-Length: ${payload.length + 50}`);
  if (r.framing === "bad-header") lines.push(`X-Bad: a\u0001b`, `Content-Length: ${payload.length}`);
  if (r.framing === "gzip-chunked") {
    lines.push("Transfer-Encoding: gzip, chunked");
    bodyBytes = Buffer.concat([
      Buffer.from(`${payload.length.toString(16)}\r\n`),
      payload,
      Buffer.from("\r\n0\r\n\r\n"),
    ]);
  }
  lines.push("Connection: close");
  return new Promise((done) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(`${lines.join("\r\n")}\r\n\r\n`);
      socket.write(bodyBytes);
      // A lying Content-Length (longer than the body): the client gives up sending.
      if (r.framing === "long-length") setTimeout(() => socket.destroy(), 50);
    });
    let data = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
    });
    const finish = () => {
      const text = data.toString("latin1");
      if (!text) return done(undefined);
      const [head = "", rest = ""] = text.split("\r\n\r\n");
      const type = /\r\ncontent-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? "";
      done({ status: Number(head.split(" ")[1]), contentType: type, text: rest });
    };
    socket.on("close", finish);
    socket.on("error", () => {});
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Starts redis-server and `gigbridge serve`, sends `requests` generated requests, and reports. */
export async function runFuzz(options: {
  requests: number;
  seed?: number;
  log?: (line: string) => void;
}): Promise<FuzzFigures> {
  const log = options.log ?? (() => {});
  const started = performance.now();
  const redis = await RedisServer.start();
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [cli, "serve", "--config", "examples/dev/config.json", "--port", String(port)],
    {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: redis.url,
        GIGBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
        LOG_LEVEL: "fatal",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const base = `http://127.0.0.1:${port}`;
  const figures: FuzzFigures = {
    requests: 0,
    byStatus: {},
    failures: [],
    rssBaselineMb: 0,
    rssEndMb: 0,
    alive: false,
    seconds: 0,
  };
  try {
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, {
      timeoutMs: 20_000,
      description: "gateway ready",
    });
    const check = async (r: Generated): Promise<boolean> => {
      const answer = r.framing === "fetch" ? await viaFetch(base, r) : await viaSocket(base, r);
      figures.requests++;
      if (!answer) return true; // the client gave up sending; no answer is owed
      const key = String(answer.status);
      figures.byStatus[key] = (figures.byStatus[key] ?? 0) + 1;
      const problems: string[] = [];
      if (!(answer.status >= 100 && answer.status < 500)) problems.push(`status ${answer.status}`);
      if (answer.status >= 400 && !answer.contentType.startsWith("application/problem+json")) {
        problems.push(`error as ${answer.contentType || "no content type"}`);
      }
      const credential = credentialOf(r.auth);
      if (credential && answer.text.includes(credential)) problems.push("echoed the credential");
      if (problems.length > 0) {
        const what = `${r.method} ${r.path}${r.query} (${r.framing}, ${r.body?.length ?? 0} bytes): ${problems.join(", ")}`;
        if (figures.failures.length < 50) figures.failures.push(what);
        return false;
      }
      return true;
    };
    // Requests are generated by fast-check from the seed (reproducible) and sent 16 at a time; a failing
    // one is reported as generated (the gateway's state moves on, so shrinking would not replay it).
    const send = async (count: number, seed: number) => {
      const batch = fc.sample(request, { numRuns: count, seed });
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < batch.length) {
            const r = batch[next++] as Generated;
            if (!(await check(r)) && figures.failures.length < 50) {
              figures.failures.push(
                `  request: ${fc.stringify({ ...r, body: r.body?.subarray(0, 200).toString() })}`,
              );
            }
          }
        }),
      );
    };
    // Warm-up: the baseline is the memory of a process that has served every kind of request once.
    const seed = options.seed ?? 1;
    await send(Math.min(500, options.requests), seed);
    figures.rssBaselineMb = rssMb(child.pid as number);
    const rest = Math.max(0, options.requests - figures.requests);
    for (let done = 0; done < rest; done += 2_000) {
      await send(Math.min(2_000, rest - done), seed + done + 1);
      log(`  ${figures.requests} requests, rss ${rssMb(child.pid as number).toFixed(0)} MB`);
    }
    // Let buffers drain and the collector run, then compare.
    await new Promise((done) => setTimeout(done, 2_000));
    figures.alive = child.exitCode === null && (await fetch(`${base}/healthz`)).status === 200;
    figures.rssEndMb = rssMb(child.pid as number);
  } finally {
    child.kill("SIGKILL");
    await redis.destroy();
    figures.seconds = (performance.now() - started) / 1000;
  }
  return figures;
}

/** The properties over the whole run; empty when all hold. */
export function fuzzVerdict(f: FuzzFigures): string[] {
  const out = [...f.failures];
  if (!f.alive) out.push("the gateway process did not stay up");
  // Memory: back within 64 MB of the warmed-up baseline (RSS includes allocator slack that is not returned).
  if (f.rssEndMb > f.rssBaselineMb + 64) {
    out.push(`memory grew from ${f.rssBaselineMb.toFixed(0)} MB to ${f.rssEndMb.toFixed(0)} MB`);
  }
  return out;
}
