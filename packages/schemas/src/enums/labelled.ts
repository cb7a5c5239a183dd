import { z } from "zod";

/** English label and, where the domain has one, the Chinese term. */
export interface Label {
  readonly en: string;
  readonly zh?: string;
}

export type Labels<T extends readonly string[]> = { readonly [K in T[number]]: Label };

/**
 * A closed enum whose description lists every value with its English label and Chinese term,
 * so the generated API docs and JSON Schema explain each value to both audiences.
 */
export function labelledEnum<const T extends readonly [string, ...string[]]>(
  values: T,
  labels: Labels<T>,
  description: string,
) {
  const parts = values.map((value) => {
    const label: Label = labels[value as T[number]];
    return label.zh ? `\`${value}\`: ${label.en} (${label.zh})` : `\`${value}\`: ${label.en}`;
  });
  return z.enum(values).meta({ description: `${description} One of: ${parts.join("; ")}.` });
}
