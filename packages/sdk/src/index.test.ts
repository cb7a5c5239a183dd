import { readFileSync } from "node:fs";
import type { SignalInputOf } from "@gigbridge/schemas";
import { describe, expect, expectTypeOf, it } from "vitest";
import * as sdk from "./index.js";

describe("the package entry point", () => {
  it("sends the package.json version in User-Agent", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(sdk.VERSION).toBe(pkg.version);
  });

  it("exports one error hierarchy", () => {
    const classes = {
      ValidationError: sdk.ValidationError,
      AuthenticationError: sdk.AuthenticationError,
      PermissionError: sdk.PermissionError,
      RateLimitError: sdk.RateLimitError,
      ConnectionError: sdk.ConnectionError,
      TimeoutError: sdk.TimeoutError,
      ServerError: sdk.ServerError,
      PayloadTooLargeError: sdk.PayloadTooLargeError,
      BatchTooLargeError: sdk.BatchTooLargeError,
      InvalidRequestError: sdk.InvalidRequestError,
      ConflictError: sdk.ConflictError,
      IllegalTransitionError: sdk.IllegalTransitionError,
      NotFoundError: sdk.NotFoundError,
      QueueFullError: sdk.QueueFullError,
      ClientClosedError: sdk.ClientClosedError,
      WebhookVerificationError: sdk.WebhookVerificationError,
    };
    // Every error class the package exports is in the table, so a new one cannot be left out.
    const exported = Object.entries(sdk)
      .filter(([, value]) => typeof value === "function" && value.prototype instanceof sdk.GigBridgeError)
      .map(([name]) => name)
      .sort();
    expect(exported).toEqual(Object.keys(classes).sort());
    for (const [name, Class] of Object.entries(classes)) {
      const error = new Class("x", [] as never);
      expect(error).toBeInstanceOf(sdk.GigBridgeError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
    }
  });

  it("types the per-signal methods from the schemas", () => {
    const client = new sdk.GigBridge({ apiKey: "k", baseUrl: "http://127.0.0.1:9" });
    expectTypeOf(client.workers.onboarded)
      .parameter(0)
      .toEqualTypeOf<SignalInputOf<"worker.onboarded">["data"]>();
    expectTypeOf(client.stations.updated)
      .parameter(0)
      .toEqualTypeOf<SignalInputOf<"station.updated">["data"]>();
    expectTypeOf(client.membership.declared).returns.resolves.toEqualTypeOf<sdk.SendResult>();
    // @ts-expect-error: a signal type that does not exist has no method
    expect(client.workers.promoted).toBeUndefined();
    void client.close();
  });
});
