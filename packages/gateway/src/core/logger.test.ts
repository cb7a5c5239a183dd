import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createDevLogger, createLogger, wantsColour } from "./logger.js";

/** An ANSI colour sequence (ESC [ ... m). */
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`);

function capture() {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
  });
  return { stream, text: () => text };
}

describe("dev logs", () => {
  it("prints one readable, coloured line per entry on a terminal, with the fields redacted", async () => {
    const out = capture();
    const logger = await createDevLogger({ destination: out.stream, colour: true });
    logger.info({ requestId: "r-1", route: "/v1/signals", status: 202, workerId: "rider-42" }, "request");
    const text = out.text();
    expect(text).toMatch(ANSI);
    const plain = text.replace(new RegExp(ANSI.source, "g"), "");
    expect(plain).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: request\n/);
    expect(plain).toContain('route: "/v1/signals"');
    expect(plain).toContain('workerId: "[redacted]"');
    expect(plain).not.toContain("rider-42");
    expect(() => JSON.parse(plain)).toThrow();
  });

  it("prints no colour when piped", async () => {
    const out = capture();
    const logger = await createDevLogger({ destination: out.stream, colour: false });
    logger.warn({ err: new Error("boom") }, "delivery worker error");
    expect(out.text()).not.toMatch(ANSI);
    expect(out.text()).toMatch(/WARN: delivery worker error/);
  });

  it("colours a terminal only, as NO_COLOR and FORCE_COLOR say", () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    const pipe = new PassThrough();
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColour(pipe, { FORCE_COLOR: "1" })).toBe(true);
    expect(wantsColour(pipe, { FORCE_COLOR: "0" })).toBe(false);
  });

  it("leaves the production logger's JSON lines as they were", () => {
    const out = capture();
    createLogger({ destination: out.stream }).info({ route: "/v1/signals", phone: "13800000000" }, "request");
    const entry = JSON.parse(out.text()) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, service: "gigbridge", route: "/v1/signals", msg: "request" });
    expect(entry.phone).toBe("[redacted]");
  });
});
