import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKey } from "../core/master-key.js";
import { SecretDecryptionError } from "./errors.js";

const VERSION = "v1";

/**
 * Encrypts endpoint signing secrets at rest with AES-256-GCM. The key is derived
 * from the master key with HKDF so the master key itself never encrypts data and
 * other uses of it get independent keys. The endpoint id is bound as associated
 * data, so a ciphertext copied onto another endpoint does not decrypt.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length < 32) throw new Error("the master key must hold at least 32 bytes");
    this.#key = deriveKey(masterKey, "endpoint-secret/v1");
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, each part base64url. */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), data]
      .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
      .join(".");
  }

  decrypt(sealed: string, context: string): string {
    const [version, iv, tag, data] = sealed.split(".");
    if (version !== VERSION || iv === undefined || tag === undefined || data === undefined) {
      throw new SecretDecryptionError("stored secret has an unknown format");
    }
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, Buffer.from(iv, "base64url"));
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString(
        "utf8",
      );
    } catch (cause) {
      throw new SecretDecryptionError(
        "stored secret could not be decrypted (wrong master key or tampered)",
        cause,
      );
    }
  }

  /** Keeps the key out of logs and inspection. */
  toJSON(): string {
    return "[SecretBox]";
  }
}
