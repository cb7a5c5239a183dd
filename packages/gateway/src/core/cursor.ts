import { ValidationError } from "./errors.js";

/**
 * The one cursor codec of the API: a cursor is the position after a page's last item, as a short
 * JSON array in base64url. Clients treat it as opaque; every list decodes its own positions.
 */
export function encodeCursor(position: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

/**
 * The position in `cursor`, checked by `read` (which returns undefined for a shape it does not
 * know). Anything not made by {@link encodeCursor} for this list is a 422 at `/query/cursor`.
 */
export function decodeCursor<T>(cursor: string, read: (position: unknown[]) => T | undefined): T {
  let position: T | undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parsed)) position = read(parsed);
  } catch {
    position = undefined;
  }
  if (position === undefined) {
    throw new ValidationError("The cursor is not one this list gave out.", [
      { pointer: "/query/cursor", detail: "must be a `nextCursor` from a previous page of the same list" },
    ]);
  }
  return position;
}

export const isString = (value: unknown): value is string => typeof value === "string";
export const isNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);
