import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Gateway } from "../core/context.js";
import type { Principal } from "../core/credentials.js";
import { deriveKey } from "../core/master-key.js";

/**
 * Console sessions, held in Redis. The cookie carries only a random session id; Redis holds, under the
 * id's hash, the CSRF token and the key the user signed in with, encrypted with a key derived from the
 * master key. Every request decrypts the key and resolves it again through the gateway's credential
 * lookup, so a session ends the moment its key stops being valid (revoked, or removed from the config).
 */

export const SESSION_COOKIE = "gb_console";
export const LANG_COOKIE = "gb_lang";

export const consoleKeys = {
  session: (idHash: string) => `gb:{console}:session:${idHash}`,
  /** A one-time sign-in link (dev banner): its token's hash -> the sealed key. */
  loginLink: (tokenHash: string) => `gb:{console}:link:${tokenHash}`,
} as const;

export interface Session {
  /** The key, sealed; never leaves the server. */
  sealed: string;
  csrf: string;
  expiresAt: number;
}

export interface ActiveSession extends Session {
  id: string;
  principal: Principal;
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const token = () => randomBytes(32).toString("base64url");

function box(gw: Gateway) {
  const key = deriveKey(gw.masterKey, "console-session/v1");
  return {
    seal(plaintext: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return [iv, cipher.getAuthTag(), data].map((part) => part.toString("base64url")).join(".");
    },
    open(sealed: string): string | null {
      const [iv, tag, data] = sealed.split(".");
      if (!iv || !tag || data === undefined) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString();
      } catch {
        return null;
      }
    },
  };
}

/** Checks a key through the shared credential lookup; a principal if it is valid now. */
export function resolveKey(gw: Gateway, key: string): Promise<Principal | null> {
  return gw.credentials.resolve(key);
}

/** Starts a session for a key already found valid; returns the cookie value. */
export async function createSession(gw: Gateway, key: string): Promise<{ id: string; session: Session }> {
  const id = token();
  const ttl = gw.config.console.sessionTtl;
  const session: Session = { sealed: box(gw).seal(key), csrf: token(), expiresAt: gw.now() + ttl };
  await gw.redis.set(consoleKeys.session(sha256(id)), JSON.stringify(session), "PX", ttl);
  return { id, session };
}

/** The session behind a cookie, if it exists, has not expired and its key is still valid. */
export async function loadSession(gw: Gateway, id: string | undefined): Promise<ActiveSession | null> {
  if (!id || id.length > 100) return null;
  const stored = await gw.redis.get(consoleKeys.session(sha256(id)));
  if (!stored) return null;
  const session = JSON.parse(stored) as Session;
  if (session.expiresAt <= gw.now()) return null;
  const key = box(gw).open(session.sealed);
  const principal = key === null ? null : await resolveKey(gw, key);
  if (!principal) {
    await endSession(gw, id);
    return null;
  }
  return { ...session, id, principal };
}

export async function endSession(gw: Gateway, id: string): Promise<void> {
  await gw.redis.del(consoleKeys.session(sha256(id)));
}

/** Constant-time comparison of the form's CSRF token with the session's. */
export function csrfMatches(session: Session, sent: unknown): boolean {
  if (typeof sent !== "string") return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(sent);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * A one-time sign-in link for a key (the dev banner prints these): the URL holds a random token, never
 * the key; the first visit turns it into a session and deletes it.
 */
export async function createLoginLink(gw: Gateway, key: string, ttlMs = 24 * 3_600_000): Promise<string> {
  const link = token();
  await gw.redis.set(consoleKeys.loginLink(sha256(link)), box(gw).seal(key), "PX", ttlMs);
  return link;
}

/** The key behind a sign-in link, consumed: a second visit finds nothing. */
export async function redeemLoginLink(gw: Gateway, link: string): Promise<string | null> {
  if (link.length > 100) return null;
  const sealed = await gw.redis.getdel(consoleKeys.loginLink(sha256(link)));
  return sealed === null ? null : box(gw).open(sealed);
}
