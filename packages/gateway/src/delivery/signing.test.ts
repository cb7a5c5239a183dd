import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { generateSecret, isValidSecret, sign, webhookHeaders } from "./signing.js";

const body = JSON.stringify({ type: "endpoint.ping", timestamp: "2024-06-01T01:30:00Z", data: { n: 1 } });

describe("signing", () => {
  it("generates whsec_ secrets of 32 random bytes that the standardwebhooks library accepts", () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(isValidSecret(secret)).toBe(true);
    expect(generateSecret()).not.toBe(secret);
    expect(() => new Webhook(secret)).not.toThrow();
  });

  it("produces headers a standardwebhooks receiver verifies", () => {
    const secret = generateSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders("msg_1", now, body, [secret]);
    expect(headers["webhook-id"]).toBe("msg_1");
    expect(headers["webhook-timestamp"]).toBe(String(now));
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it("signs with every active secret so receivers holding the old or the new one both verify", () => {
    const [old, fresh, other] = [generateSecret(), generateSecret(), generateSecret()];
    const now = Math.floor(Date.now() / 1000);
    const headers = webhookHeaders("msg_2", now, body, [fresh, old]);
    expect(headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect(() => new Webhook(old).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(fresh).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(other).verify(body, headers)).toThrow(/No matching signature/);
  });

  it("binds the signature to id, timestamp and body", () => {
    const secret = generateSecret();
    const now = Math.floor(Date.now() / 1000);
    const signature = sign("msg_3", now, body, [secret]);
    expect(sign("msg_4", now, body, [secret])).not.toBe(signature);
    expect(sign("msg_3", now + 1, body, [secret])).not.toBe(signature);
    expect(sign("msg_3", now, `${body} `, [secret])).not.toBe(signature);
  });

  it("rejects malformed secrets and an empty secret list", () => {
    expect(isValidSecret("whsec_short")).toBe(false);
    expect(isValidSecret("not-a-secret")).toBe(false);
    expect(() => sign("m", 1, "b", [])).toThrow();
    expect(() => sign("m", 1, "b", ["whsec_!!!"])).toThrow();
  });
});
