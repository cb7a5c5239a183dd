import { z } from "zod";

/**
 * The one list convention of the HTTP API (docs/api-conventions.md): every collection answers
 * `{items, nextCursor}`, pages with the `cursor` and `limit` query parameters below, and keeps one
 * documented order. The cursor is opaque: pass back `nextCursor` as it came.
 */
export const pageLimits = { default: 50, max: 200 } as const;

export const cursorSchema = z
  .string()
  .min(1)
  .max(512)
  .describe("`nextCursor` of the previous page; leave out for the first page.");

export const pageQuerySchema = z.object({
  cursor: cursorSchema.optional(),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .transform((n) => Math.min(n, pageLimits.max))
    .default(pageLimits.default)
    .describe(
      `Most items in the page: ${pageLimits.default} by default; more than ${pageLimits.max} is read as ${pageLimits.max}.`,
    ),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export const nextCursorSchema = z
  .string()
  .nullable()
  .describe("Cursor of the next page (send it as `cursor`), or null after the last page.");

/**
 * A page of `item`s. `order` documents the list's one order; `name` names the schema in the
 * OpenAPI document (`<name>Page`). `deprecated` holds old field names kept for one minor version.
 */
export function pageSchema<T extends z.ZodType, D extends z.ZodRawShape = Record<never, never>>(
  item: T,
  name: string,
  order: string,
  deprecated?: D,
) {
  return z
    .object({
      items: z.array(item).describe(`The page's items, ${order}.`),
      nextCursor: nextCursorSchema,
      ...(deprecated as D),
    })
    .meta({ id: `${name}Page`, description: `A page of ${name} items, ${order}.` });
}

/** A field kept for one minor version under its old name; the OpenAPI document marks it deprecated. */
export function deprecatedAlias<T extends z.ZodType>(schema: T, replacement: string) {
  return schema.optional().meta({ deprecated: true, description: `Deprecated: use \`${replacement}\`.` });
}
