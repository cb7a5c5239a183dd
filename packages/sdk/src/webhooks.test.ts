import { fixtures } from "@gigbridge/schemas";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { ValidationError, WebhookVerificationError } from "./errors.js";
import { generateWebhookSecret, signWebhook, verifyWebhook, Webhook } from "./webhooks.js";

const event = fixtures.events.valid["task.created"][0]!;
const body = JSON.stringify(event);
const secret = generateWebhookSecret();
const otherSecret = generateWebhookSecret();

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected it to throw");
}

describe("interoperability with the standardwebhooks package", () => {
  it("our signature verifies with standardwebhooks", () => {
    const headers = signWebhook(body, secret);
    expect(new StandardWebhook(secret).verify(body, { ...headers })).toEqual(event);
  });

  it("a standardwebhooks signature verifies with ours and returns the typed event", () => {
    const id = "msg_2fHb7w";
    const timestamp = new Date();
    const signature = new StandardWebhook(secret).sign(id, timestamp, body);
    const headers = {
      "webhook-id": id,
      "webhook-timestamp": String(Math.floor(timestamp.getTime() / 1000)),
      "webhook-signature": signature,
    };
    const verified = verifyWebhook(body, headers, secret);
    expect(verified).toEqual(event);
    expect(verified.type).toBe("task.created");
  });

  it("agrees with standardwebhooks byte for byte on the signature", () => {
    const timestamp = new Date("2024-06-01T00:00:00Z");
    const ours = signWebhook(body, secret, { id: "msg_1", timestamp });
    expect(ours["webhook-signature"]).toBe(new StandardWebhook(secret).sign("msg_1", timestamp, body));
    expect(ours["webhook-timestamp"]).toBe("1717200000");
  });
});

describe("verifyWebhook", () => {
  it("accepts when any listed v1 signature matches, as after a secret rotation", () => {
    const headers = signWebhook(body, [otherSecret, secret]);
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(verifyWebhook(body, headers, secret)).toEqual(event);
    expect(verifyWebhook(body, headers, otherSecret)).toEqual(event);
    // and standardwebhooks, which also accepts any, agrees
    expect(new StandardWebhook(secret).verify(body, { ...headers })).toEqual(event);
  });

  it("accepts during the receiver's own rotation when given several secrets", () => {
    const headers = signWebhook(body, secret);
    expect(verifyWebhook(body, headers, [otherSecret, secret])).toEqual(event);
  });

  it("rejects a body changed after signing", () => {
    const headers = signWebhook(body, secret);
    const tampered = body.replace("task.created", "task.updated");
    expect(errorOf(() => verifyWebhook(tampered, headers, secret))).toBeInstanceOf(WebhookVerificationError);
  });

  it("rejects a signature made with another secret", () => {
    const headers = signWebhook(body, otherSecret);
    const error = errorOf(() => verifyWebhook(body, headers, secret));
    expect(error).toBeInstanceOf(WebhookVerificationError);
    expect((error as Error).message).toMatch(/no webhook signature matches/);
  });

  it("rejects a changed id or timestamp, which are signed too", () => {
    const headers = signWebhook(body, secret);
    expect(
      errorOf(() => verifyWebhook(body, { ...headers, "webhook-id": "msg_other" }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
    const shifted = String(Number(headers["webhook-timestamp"]) - 1);
    expect(
      errorOf(() => verifyWebhook(body, { ...headers, "webhook-timestamp": shifted }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
  });

  it("ignores signatures of other versions", () => {
    const headers = signWebhook(body, secret);
    const v1a = headers["webhook-signature"].replace("v1,", "v1a,");
    expect(
      errorOf(() => verifyWebhook(body, { ...headers, "webhook-signature": v1a }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
  });

  it("enforces a five-minute timestamp tolerance both ways by default", () => {
    const now = Date.parse("2024-06-01T00:00:00Z");
    const at = (offsetSeconds: number) =>
      signWebhook(body, secret, { timestamp: new Date(now + offsetSeconds * 1000) });
    expect(verifyWebhook(body, at(-300), secret, { now })).toEqual(event);
    expect(verifyWebhook(body, at(300), secret, { now })).toEqual(event);
    expect((errorOf(() => verifyWebhook(body, at(-301), secret, { now })) as Error).message).toMatch(
      /too old/,
    );
    expect((errorOf(() => verifyWebhook(body, at(301), secret, { now })) as Error).message).toMatch(/future/);
    expect(verifyWebhook(body, at(-600), secret, { now, toleranceSeconds: 600 })).toEqual(event);
  });

  it("rejects missing headers and a non-numeric timestamp", () => {
    const headers = signWebhook(body, secret);
    const { "webhook-signature": _omitted, ...unsigned } = headers;
    expect(errorOf(() => verifyWebhook(body, unsigned, secret))).toBeInstanceOf(WebhookVerificationError);
    expect(
      errorOf(() => verifyWebhook(body, { ...headers, "webhook-timestamp": "2024-06-01" }, secret)),
    ).toBeInstanceOf(WebhookVerificationError);
  });

  it("reads fetch Headers and Node's header objects, case-insensitively, with a Buffer body", () => {
    const headers = signWebhook(body, secret);
    expect(verifyWebhook(Buffer.from(body), new Headers(headers), secret)).toEqual(event);
    const nodeStyle = {
      "Webhook-Id": headers["webhook-id"],
      "WEBHOOK-TIMESTAMP": headers["webhook-timestamp"],
      "webhook-signature": [headers["webhook-signature"]],
      host: undefined,
    };
    expect(verifyWebhook(new TextEncoder().encode(body), nodeStyle, secret)).toEqual(event);
  });

  it("refuses a parsed object instead of the raw body", () => {
    const headers = signWebhook(body, secret);
    expect(errorOf(() => verifyWebhook(event as unknown as string, headers, secret))).toBeInstanceOf(
      TypeError,
    );
  });

  it("throws ValidationError for an authentic body that is not a known event", () => {
    const unknown = JSON.stringify({ type: "task.exploded", timestamp: event.timestamp, data: {} });
    const error = errorOf(() => verifyWebhook(unknown, signWebhook(unknown, secret), secret));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.pointer)).toContain("/type");
  });

  it("rejects an empty secret", () => {
    expect(() => new Webhook("whsec_")).toThrow(TypeError);
  });
});
