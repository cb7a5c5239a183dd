import type { Context } from "hono";
import { GatewayError } from "../core/errors.js";

/**
 * Request bodies are read once, strictly: valid UTF-8, JSON without duplicate
 * object keys, and no lone surrogates (`"\ud800"`). A lenient reader replaces
 * bad bytes with U+FFFD and lets the last duplicate key win, so the gateway
 * and the platform that signed the body could read different data (for
 * consent, say). The parsed value then serves every later `c.req.json()`.
 */

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

const malformed = (detail: string) => new GatewayError("malformed_json", detail);

/** Reads, checks and parses the body; later `c.req.json()` calls get the parsed value without reading again. */
export async function readStrictJson(c: Context): Promise<void> {
  const bytes = await c.req.arrayBuffer();
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed("The request body is not valid UTF-8.");
  }
  const value = parseStrictJson(text);
  Object.defineProperty(c.req, "json", { value: () => Promise.resolve(value), configurable: true });
}

/** JSON.parse, refusing what it lets pass: duplicate keys and lone surrogates. */
export function parseStrictJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw malformed("The request body could not be parsed as JSON.");
  }
  const duplicate = duplicateKey(text);
  if (duplicate !== undefined) {
    throw malformed(
      `The request body repeats a key in one object (${JSON.stringify(duplicate.slice(0, 64))}).`,
    );
  }
  // Text decoded from valid UTF-8 is well formed; a lone surrogate can only come from a \u escape.
  if (text.includes("\\u") && hasLoneSurrogate(value)) {
    throw malformed("The request body has a string with an unpaired surrogate (\\uD800-\\uDFFF).");
  }
  return value;
}

const LONE_SURROGATE = /\p{Surrogate}/u;

/** Any string or key with an unpaired surrogate, walked without recursion (bodies may nest deeply). */
function hasLoneSurrogate(root: unknown): boolean {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value === "string") {
      if (LONE_SURROGATE.test(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push(item);
    } else if (value !== null && typeof value === "object") {
      for (const [key, item] of Object.entries(value)) {
        if (LONE_SURROGATE.test(key)) return true;
        stack.push(item);
      }
    }
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * The first key that appears twice in one object of `text`, which must be
 * valid JSON. One pass over the text: a stack holds the keys seen in each
 * open object (null for an array); a string is a key when it follows `{` or
 * `,` inside an object.
 */
export function duplicateKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === QUOTE) {
      let end = i + 1;
      let escaped = false;
      for (;;) {
        const c = text.charCodeAt(end);
        if (c === BACKSLASH) {
          escaped = true;
          end += 2;
        } else if (c === QUOTE) {
          break;
        } else {
          end++;
        }
      }
      const keys = stack[stack.length - 1];
      if (expectKey && keys) {
        const key = escaped ? (JSON.parse(text.slice(i, end + 1)) as string) : text.slice(i + 1, end);
        if (keys.has(key)) return key;
        keys.add(key);
        expectKey = false;
      }
      i = end;
    } else if (ch === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if (ch === 0x5b /* [ */) {
      stack.push(null);
      expectKey = false;
    } else if (ch === 0x7d /* } */ || ch === 0x5d /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (ch === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return undefined;
}
