import { z } from "zod";

// Control characters (C0, DEL, C1) and the bidirectional embedding/override/isolate marks, which can make
// text in an operator console or an org's system read differently from what was stored ("Trojan Source").
// The marks are embedded as literal characters, not \u escapes, so the `pattern` in the exported JSON Schema
// also compiles in regex engines without \u support (Go's RE2).
const BIDI = `${String.fromCodePoint(0x202a)}-${String.fromCodePoint(0x202e)}${String.fromCodePoint(0x2066)}-${String.fromCodePoint(0x2069)}`;
const STRIPPED = new RegExp(`[\\p{Cc}${BIDI}]`, "gu");
const STRIPPED_EXCEPT_NEWLINE_TAB = new RegExp(`[^\\P{Cc}\\n\\t]|[${BIDI}]`, "gu");
// At least one character that survives stripping and trimming. Checked on the raw input so the
// JSON Schema (a `pattern`) and zod agree.
const VISIBLE = new RegExp(`[^\\p{Cc}\\s${BIDI}]`, "u");

export interface BoundedTextOptions {
  /** Keep line feeds and tabs (for summaries and notes). Default false: one line of text. */
  multiline?: boolean;
}

/** Removes control and bidi-override characters; see {@link boundedText}. */
export function cleanText(value: string, options: BoundedTextOptions = {}): string {
  if (options.multiline) {
    return value.replace(/\r\n?/g, "\n").replace(STRIPPED_EXCEPT_NEWLINE_TAB, "").trim();
  }
  // In one-line text a line break or tab separated words, so it becomes a space rather than vanishing.
  return value
    .replace(/[\r\n\t]+/g, " ")
    .replace(STRIPPED, "")
    .trim();
}

/**
 * Free text from a platform: at most `max` characters (Unicode code points, as JSON Schema counts) as sent and before cleaning, at least one visible
 * character, then stripped of control characters (C0, DEL, C1) and bidi override/isolate marks, and trimmed.
 * One-line text (the default) turns CR, LF and tab into a space; `multiline` text keeps LF and tab and
 * normalises CRLF to LF. The parsed value is the cleaned text.
 */
export function boundedText(max: number, options: BoundedTextOptions = {}) {
  return z
    .string()
    .max(max, { message: `must be at most ${max} characters` })
    .regex(VISIBLE, { message: "must contain at least one visible character" })
    .overwrite((value) => cleanText(value, options));
}
