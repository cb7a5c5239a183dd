/**
 * Lists in the GigBridge API answer one page at a time, `{items, nextCursor}` (docs/api-conventions.md).
 * This turns any of them into an async iterator over its items: `for await (const task of
 * client.tasks.list())` reads page after page, asking for the next only when the loop gets there.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Every item of a list, page by page; `fetchPage` is given the cursor of the page to read (none first). */
export async function* eachItem<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/** A list's query string with its cursor; undefined values are left out. */
export function pageQuery(
  query: Record<string, string | number | undefined>,
  cursor: string | undefined,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  if (cursor !== undefined) params.set("cursor", cursor);
  const text = params.toString();
  return text ? `?${text}` : "";
}
