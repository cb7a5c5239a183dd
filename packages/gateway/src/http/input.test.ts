import { connect } from "node:net";
import { signalExamples } from "@gigbridge/schemas";
import { waitFor } from "@gigbridge/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appeal, startStandInProcessor } from "../ops/testing.js";
import { startTestGateway, type TestGateway, testKeys } from "../test-support/gateway.js";
import { duplicateKey, parseStrictJson } from "./json-body.js";

const PROBLEM = "application/problem+json";

/** Sends raw bytes on a fresh connection and returns the status line, headers and body of the answer. */
function raw(
  url: string,
  request: string | Buffer,
): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let data = "";
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
    });
    socket.on("error", reject);
    socket.on("close", () => {
      const [head = "", body = ""] = data.split("\r\n\r\n");
      resolve({ status: Number(head.split(" ")[1]), headers: head.toLowerCase(), body });
    });
    socket.setTimeout(5_000, () => socket.destroy());
  });
}

describe("refusing malformed input with problem+json", () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway({ workers: false });
  });
  afterAll(async () => t?.close());

  const post = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(t.url + path, {
      method: "POST",
      headers: {
        authorization: `Bearer ${testKeys.platform}`,
        "content-type": "application/json",
        ...headers,
      },
      body: body as unknown as BodyInit,
    });

  it("counts a batch before validating it: 125,000 junk items are a 413, not a 500", async () => {
    const res = await post("/v1/signals/batch", JSON.stringify({ signals: Array(125_000).fill(1) }));
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe(PROBLEM);
    expect(((await res.json()) as { type: string }).type).toMatch(/batch_too_large$/);
  });

  it("lists the first 100 failing fields and counts all of them", async () => {
    const res = await post("/v1/signals/batch", JSON.stringify({ signals: Array(400).fill({}) }));
    expect(res.status).toBe(422);
    const body = (await res.json()) as { errors: unknown[]; errorCount: number };
    expect(body.errors).toHaveLength(100);
    expect(body.errorCount).toBeGreaterThanOrEqual(400);
  });

  const signal = JSON.stringify(appeal("strict-1", "110105001"));

  it("refuses invalid UTF-8, lone surrogates and duplicate keys instead of repairing them", async () => {
    const bad = Buffer.concat([
      Buffer.from(signal.slice(0, -3)),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}}'),
    ]);
    for (const body of [
      bad,
      signal.replace('"summary":"', '"summary":"\\ud800'),
      signal.replace('"urgency":', '"urgency":"urgent","urgency":'),
    ]) {
      const res = await post("/v1/signals", body);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe(PROBLEM);
    }
    // A surrogate pair written as escapes is one valid character.
    const pair = await post("/v1/signals", signal.replace('"summary":"', '"summary":"\\ud83d\\ude00'));
    expect(pair.status).toBe(202);
  });

  it("refuses charsets other than UTF-8 and encoded bodies", async () => {
    const utf16 = await post("/v1/signals", signal, { "content-type": "application/json; charset=utf-16" });
    expect(utf16.status).toBe(415);
    expect(utf16.headers.get("content-type")).toBe(PROBLEM);
    expect((await post("/v1/signals", signal, { "content-encoding": "gzip" })).status).toBe(415);
    const utf8 = await post("/v1/signals", signal.replace("strict-1", "strict-2"), {
      "content-type": "application/json; charset=UTF-8",
    });
    expect(utf8.status).toBe(202);
  });

  it("answers what node:http refuses below the routes as problem+json", async () => {
    const host = "Host: x\r\n";
    const cases: [string, number][] = [
      [`POST /v1/signals HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`, 400],
      [
        `POST /v1/signals HTTP/1.1\r\n${host}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
        400,
      ],
      [`POST /v1/signals HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nzz\r\n`, 400],
      [`GET /healthz HTTP/1.1\r\n${host}X-Bad: a\u0001b\r\n\r\n`, 400],
      [`GET /healthz HTTP/1.1\r\n${host}X-Big: ${"a".repeat(20_000)}\r\n\r\n`, 431],
      ["NONSENSE\r\n\r\n", 400],
      [`GET /healthz HTTP/9.9\r\n${host}\r\n`, 400],
      ["GET /healthz HTTP/1.1\r\n\r\n", 400],
      [`GET /healthz HTTP/1.1\r\n${host}Expect: teapot\r\n\r\n`, 417],
      [`OPTIONS * HTTP/1.1\r\n${host}\r\n`, 400],
      [
        `POST /v1/signals HTTP/1.1\r\n${host}Authorization: Bearer ${testKeys.platform}\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
        400,
      ],
    ];
    for (const [request, status] of cases) {
      const answer = await raw(t.url, request);
      expect({ request: request.slice(0, 60), status: answer.status }).toEqual({
        request: request.slice(0, 60),
        status,
      });
      expect(answer.headers).toContain(`content-type: ${PROBLEM}`);
      expect((JSON.parse(answer.body) as { status: number }).status).toBe(status);
    }
  });

  it("answers an unknown page of the queue view as problem+json", async () => {
    const res = await fetch(`${t.url}/ops/queues/no/such/page`, {
      headers: { authorization: `Bearer ${testKeys.viewer}` },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe(PROBLEM);
  });

  it("shows viewers a failed job's error message on the queue view, without stack frames", async () => {
    const stand = startStandInProcessor(t, () => "no_route");
    try {
      await post("/v1/signals", JSON.stringify(appeal("board-stack", "110105001")));
      const jobs = await waitFor(async () => {
        const res = await fetch(`${t.url}/ops/queues/api/queues?activeQueue=signals&status=failed&page=1`, {
          headers: { authorization: `Bearer ${testKeys.viewer}` },
        });
        const text = await res.text();
        return text.includes("board-stack") ? text : undefined;
      });
      expect(jobs).toContain("no_route");
      expect(jobs).not.toMatch(/\bat .*\.(js|ts):\d+/);
      expect(jobs).not.toContain(process.cwd());
    } finally {
      await stand.close();
    }
  });
});

describe("parseStrictJson", () => {
  it("finds a repeated key in any object, also when escaped differently", () => {
    expect(duplicateKey('{"a":1,"b":{"a":2}}')).toBeUndefined();
    expect(duplicateKey('{"a":1,"b":[{"c":1},{"c":2}]}')).toBeUndefined();
    expect(duplicateKey('{"a":"a","b":{"x":1,"x":2}}')).toBe("x");
    expect(duplicateKey('{"a":1,"\\u0061":2}')).toBe("a");
    expect(duplicateKey('["a","a"]')).toBeUndefined();
    expect(duplicateKey('{"k\\"":1,"v":"k\\"","k\\"":3}')).toBe('k"');
  });

  it("parses what JSON.parse parses, when nothing repeats", () => {
    const example = signalExamples["membership.declared"];
    expect(parseStrictJson(JSON.stringify(example))).toEqual(example);
    expect(() => parseStrictJson("[1,")).toThrow(/parsed as JSON/);
  });
});
