import { fixtures } from "@gigbridge/schemas";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { describe, expect, expectTypeOf, it } from "vitest";
import { ValidationError, WebhookVerificationError } from "./errors.js";
import { generateWebhookSecret, signWebhook, verifyWebhook, Webhook } from "./webhooks.js";

// Runs in Node and in the edge-runtime environment (see vitest.config.ts): no Node APIs here.
const event = fixtures.events.valid["task.created"][0]!;
const body = JSON.stringify(event);
const secret = generateWebhookSecret();
const otherSecret = generateWebhookSecret();

async function errorOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error("expected it to throw");
}

describe("interoperability with the standardwebhooks package", () => {
  it("our signature verifies with standardwebhooks", async () => {
    const headers = await signWebhook(body, secret);
    expect(new StandardWebhook(secret).verify(body, { ...headers })).toEqual(event);
  });

  it("a standardwebhooks signature verifies with ours and returns the typed event", async () => {
    const id = "msg_2fHb7w";
    const timestamp = new Date();
    const signature = new StandardWebhook(secret).sign(id, timestamp, body);
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": signature,
    };
    const verified = await verifyWebhook(body, headers, secret);
    expect(verified).toEqual(event);
    expect(verified.type).toBe("task.created");
  });

  it("agrees with standardwebhooks byte for byte on the signature", async () => {
    const timestamp = new Date("2024-06-01T00:00:00Z");
    const ours = await signWebhook(body, secret, { id: "msg_1", timestamp });
    expect(ours["webhook-signature"]).toBe(new StandardWebhook(secret).sign("msg_1", timestamp, body));
    expect(ours["webhook-timestamp"]).toBe("1717200000");
  });
});

describe("verifyWebhook", () => {
  it("accepts when any listed v1 signature matches, as after a secret rotation", async () => {
    const headers = await signWebhook(body, [otherSecret, secret]);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(await verifyWebhook(body, headers, secret)).toEqual(event);
    expect(await verifyWebhook(body, headers, otherSecret)).toEqual(event);
    // and standardwebhooks, which also accepts any, agrees
    expect(new StandardWebhook(secret).verify(body, { ...headers })).toEqual(event);
  });

  it("accepts during the receiver's own rotation when given several secrets", async () => {
    const headers = await signWebhook(body, secret);
    expect(await verifyWebhook(body, headers, [otherSecret, secret])).toEqual(event);
  });

  it("rejects a body changed after signing", async () => {
    const headers = await signWebhook(body, secret);
    const tampered = body.replace("task.created", "task.updated");
    const error = await errorOf(() => verifyWebhook(tampered, headers, secret));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as WebhookVerificationError).reason).toBe("signature_mismatch");
  });

  it("rejects a signature made with another secret", async () => {
    const headers = await signWebhook(body, otherSecret);
    const error = await errorOf(() => verifyWebhook(body, headers, secret));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as Error).message).toMatch(/no webhook signature matches/);
  });

  it("rejects a changed id or timestamp, which are signed too", async () => {
    const headers = await signWebhook(body, secret);
    expect(
      await errorOf(() => verifyWebhook(body, { ...headers, "webhook-id": "msg_other" }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
    const shifted = String(Number(headers["webhook-timestamp"]) - 1);
    expect(
      await errorOf(() => verifyWebhook(body, { ...headers, "webhook-timestamp": shifted }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
  });

  it("ignores signatures of other versions and signatures that are not base64", async () => {
    const headers = await signWebhook(body, secret);
    const v1a = headers["webhook-signature"].replace("v1,", "v1a,");
    expect(
      await errorOf(() => verifyWebhook(body, { ...headers, "webhook-signature": v1a }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
    expect(
      await errorOf(() => verifyWebhook(body, { ...headers, "webhook-signature": "v1,@@@" }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
  });

  it("enforces a five-minute timestamp tolerance both ways by default", async () => {
    const now = Date.parse("2024-06-01T00:00:00Z");
    const at = (offsetSeconds: number) =>
      signWebhook(body, secret, { timestamp: new Date(now + offsetSeconds * 1000) });
    expect(await verifyWebhook(body, await at(-300), secret, { now })).toEqual(event);
    expect(await verifyWebhook(body, await at(300), secret, { now })).toEqual(event);
    const old = (await errorOf(async () =>
      verifyWebhook(body, await at(-301), secret, { now }),
    )) as WebhookVerificationError;
    expect(old.message).toMatch(/too old/);
    expect(old.reason).toBe("timestamp_too_old");
    const future = (await errorOf(async () =>
      verifyWebhook(body, await at(301), secret, { now }),
    )) as WebhookVerificationError;
    expect(future.message).toMatch(/future/);
    expect(future.reason).toBe("timestamp_in_future");
  });

  it("takes the tolerance as toleranceSec, and as toleranceSeconds, the older name", async () => {
    const now = Date.parse("2024-06-01T00:00:00Z");
    const headers = await signWebhook(body, secret, { timestamp: new Date(now - 600_000) });
    expect(await verifyWebhook(body, headers, secret, { now, toleranceSec: 600 })).toEqual(event);
    expect(await verifyWebhook(body, headers, secret, { now, toleranceSeconds: 600 })).toEqual(event);
    expect(
      await errorOf(() => verifyWebhook(body, headers, secret, { now, toleranceSec: 599 })),
    ).toBeInstanceOf(WebhookVerificationError);
    // a tighter tolerance is applied too, not only a looser one
    const recent = await signWebhook(body, secret, { timestamp: new Date(now - 60_000) });
    expect(
      await errorOf(() => verifyWebhook(body, recent, secret, { now, toleranceSec: 30 })),
    ).toBeInstanceOf(WebhookVerificationError);
    expect(await new Webhook(secret, { toleranceSec: 600 }).verify(body, headers, { now })).toEqual(event);
  });

  it("rejects missing headers and a non-numeric timestamp", async () => {
    const headers = await signWebhook(body, secret);
    const { "webhook-signature": _omitted, ...unsigned } = headers;
    const missing = (await errorOf(() => verifyWebhook(body, unsigned, secret))) as WebhookVerificationError;
    expect(missing).toBeInstanceOf(WebhookVerificationError);
    expect(missing.reason).toBe("missing_headers");
    expect(
      await errorOf(() => verifyWebhook(body, { ...headers, "webhook-timestamp": "2024-06-01" }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
  });

  it("reads fetch Headers and Node-style header objects, case-insensitively, with byte bodies", async () => {
    const headers = await signWebhook(body, secret);
    const bytes = new TextEncoder().encode(body);
    expect(await verifyWebhook(bytes, new Headers(headers), secret)).toEqual(event);
    expect(await verifyWebhook(bytes.buffer, new Headers(headers), secret)).toEqual(event);
    const nodeStyle = {
      "Webhook-Id": headers["webhook-id"],
      "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
      "webhook-signature": [headers["webhook-signature"]],
      host: undefined,
    };
    expect(await verifyWebhook(bytes, nodeStyle, secret)).toEqual(event);
    // a view into a larger buffer, as Node hands out Buffers from a pool
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 5);
    expect(await verifyWebhook(padded.subarray(5, 5 + bytes.length), headers, secret)).toEqual(event);
  });

  it("refuses a parsed object instead of the raw body", async () => {
    const headers = await signWebhook(body, secret);
    expect(await errorOf(() => verifyWebhook(event as unknown as string, headers, secret))).toBeInstanceOf(
      TypeError,
    );
  });

  it("passes an authentic event of an unknown, newer type through with its data, not thrown", async () => {
    const newer = JSON.stringify({
      type: "task.reassigned",
      timestamp: event.timestamp,
      data: { to: "org-2" },
    });
    const verified = await verifyWebhook(newer, await signWebhook(newer, secret), secret);
    expect(verified).toEqual({
      type: "unknown",
      unknownType: "task.reassigned",
      timestamp: event.timestamp,
      data: { to: "org-2" },
    });
    // Known types still narrow the union; the unknown one carries `unknown` data.
    if (verified.type === "task.created") expectTypeOf(verified.data.task.id).toEqualTypeOf<string>();
    if (verified.type === "unknown") expectTypeOf(verified.data).toEqualTypeOf<unknown>();
  });

  it("throws ValidationError for an authentic event of a known type that does not match its schema", async () => {
    const broken = JSON.stringify({ type: "task.created", timestamp: event.timestamp, data: {} });
    const error = await errorOf(async () => verifyWebhook(broken, await signWebhook(broken, secret), secret));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.pointer)).toContain("/data/task");
  });

  it("rejects an empty secret", () => {
    expect(() => new Webhook("whsec_")).toThrow(TypeError);
  });
});
