import { describe, expect, it } from "vitest";
import { reasonOf } from "./sources.js";

describe("reasonOf", () => {
  it.each([
    ["no_route", "no_route"],
    ["no_route: no org covers the region", "no_route"],
    ["processing_error: the record could not be read", "processing_error"],
    ["retries_exhausted", "retries_exhausted"],
    ["endpoint_disabled", "endpoint_disabled"],
    ["endpoint_deleted", "endpoint_deleted"],
    ["network_refused", "network_refused"],
  ])("reads the code in %j", (failedReason, reason) => {
    expect(reasonOf(failedReason)).toBe(reason);
  });

  it.each([
    "the worker record kept changing while signal s-1 was processed; retrying later",
    "attempt 3 failed: HTTP 500",
    "job stalled more than allowable limit",
    "stalled",
    "timeout: no answer",
    "no_route because of something",
    "No_Route: shouting",
    "_leading: underscore",
    "trailing_: underscore",
    `${"a_".repeat(40)}b: too long to filter on`,
    "",
    undefined,
  ])("calls %j an error", (failedReason) => {
    expect(reasonOf(failedReason)).toBe("error");
  });
});
