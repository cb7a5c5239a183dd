import { describe, expect, it } from "vitest";
import { tracingConfigured } from "../runtime/tracing.js";
import { traceContextOf, traceHeaders } from "./tracing.js";

describe("traceContextOf", () => {
  const valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  it.each([
    ["a valid traceparent", valid, undefined, { traceparent: valid }],
    ["with tracestate", valid, "a=1,b=2", { traceparent: valid, tracestate: "a=1,b=2" }],
    ["a later version, read as 00", `01-${valid.slice(3)}-extra`, undefined, { traceparent: valid }],
    ["no header", undefined, "a=1", undefined],
    ["version ff", `ff-${valid.slice(3)}`, undefined, undefined],
    ["version 00 with more fields", `${valid}-extra`, undefined, undefined],
    ["an all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", undefined, undefined],
    ["an all-zero span id", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", undefined, undefined],
    ["upper case", valid.toUpperCase(), undefined, undefined],
    ["garbage", "hello", undefined, undefined],
  ])("%s", (_name, traceparent, tracestate, expected) => {
    expect(traceContextOf(traceparent, tracestate)).toEqual(expected);
  });

  it("drops a tracestate longer than the W3C limit", () => {
    expect(traceContextOf(valid, "a=1,".repeat(3000))).toEqual({ traceparent: valid });
  });

  it("gives the webhook headers", () => {
    expect(traceHeaders(undefined)).toEqual({});
    expect(traceHeaders({ traceparent: valid, tracestate: "a=1" })).toEqual({
      traceparent: valid,
      tracestate: "a=1",
    });
  });
});

describe("tracingConfigured", () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://collector:4318/v1/traces" }, true],
    [{ OTEL_TRACES_EXPORTER: "console" }, true],
    [{ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, false],
    [{ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }, false],
    [{ OTEL_SERVICE_NAME: "gigbridge" }, false],
  ])("%j -> %s", (env, expected) => {
    expect(tracingConfigured(env)).toBe(expected);
  });
});
