import { randomBytes } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { SecretDecryptionError } from "./errors.js";
import { SecretBox } from "./secrets.js";
import { generateSecret } from "./signing.js";

describe("SecretBox", () => {
  const masterKey = randomBytes(32);

  it("round-trips a secret and never stores it in clear", () => {
    const box = new SecretBox(masterKey);
    const secret = generateSecret();
    const sealed = box.encrypt(secret, "ep-1");
    expect(sealed).not.toContain(secret.slice(6));
    expect(sealed.startsWith("v1.")).toBe(true);
    expect(box.decrypt(sealed, "ep-1")).toBe(secret);
    expect(box.encrypt(secret, "ep-1")).not.toBe(sealed); // fresh IV each time
  });

  it("refuses another master key, another endpoint and tampered data", () => {
    const box = new SecretBox(masterKey);
    const sealed = box.encrypt(generateSecret(), "ep-1");
    expect(() => new SecretBox(randomBytes(32)).decrypt(sealed, "ep-1")).toThrow(SecretDecryptionError);
    expect(() => box.decrypt(sealed, "ep-2")).toThrow(SecretDecryptionError);
    const parts = sealed.split(".");
    const data = Buffer.from(parts[3]!, "base64url");
    data[0] = (data[0]! + 1) % 256;
    parts[3] = data.toString("base64url");
    expect(() => box.decrypt(parts.join("."), "ep-1")).toThrow(SecretDecryptionError);
    expect(() => box.decrypt("garbage", "ep-1")).toThrow(SecretDecryptionError);
  });

  it("does not show its key when logged", () => {
    const box = new SecretBox(masterKey);
    expect(JSON.stringify({ box })).not.toContain(masterKey.toString("base64"));
    expect(inspect(box)).not.toContain(masterKey.toString("hex").slice(0, 16));
  });

  it("needs a master key of at least 32 bytes", () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow();
  });
});
