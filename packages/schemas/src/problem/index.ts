import { z } from "zod";

/** RFC 6901 JSON Pointer for a zod issue path: `["signals", 3, "data"]` becomes `/signals/3/data`. */
export function toJsonPointer(path: readonly PropertyKey[]): string {
  let pointer = "";
  for (const segment of path) {
    const text = typeof segment === "symbol" ? (segment.description ?? "") : String(segment);
    pointer += `/${text.replaceAll("~", "~0").replaceAll("/", "~1")}`;
  }
  return pointer;
}

export interface ValidationError {
  /** JSON Pointer (RFC 6901) to the failing field within the request body. */
  pointer: string;
  /** What is wrong, in English. Never contains the offending value, which may be personal data. */
  detail: string;
}

/**
 * Flattens a zod error into `{pointer, detail}` pairs, the shape the gateway puts in a problem's `errors` and
 * the SDK reports before sending. `prefix` is a pointer prepended to every path (e.g. `/signals/3` when one
 * signal of a batch was validated on its own). An unknown field is reported at its own pointer.
 */
export function validationErrors(error: z.ZodError, prefix = ""): ValidationError[] {
  const out: ValidationError[] = [];
  const seen = new Set<string>();
  const add = (path: readonly PropertyKey[], detail: string) => {
    const pointer = prefix + toJsonPointer(path);
    const key = `${pointer}\u0000${detail}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ pointer, detail });
  };
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) add([...issue.path, key], "unknown field; it is not part of the schema");
    } else {
      add(issue.path, detailOf(issue));
    }
  }
  return out;
}

// zod's own messages describe the expectation, not the input; messages written in this package do the same.
// The exceptions are rebuilt here so no input can leak into a response or a log.
function detailOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_union":
      if (issue.discriminator !== undefined && "options" in issue && issue.options) {
        return `must be one of ${issue.options.map((option) => JSON.stringify(option)).join(", ")}`;
      }
      return "does not match any of the allowed shapes";
    case "invalid_key":
      return "invalid key";
    case "invalid_element":
      return "invalid element";
    default:
      return issue.message;
  }
}

export const problemSchema = z
  .object({
    type: z.string().meta({
      description: "URI identifying the kind of problem.",
      examples: ["https://gigbridge.dev/problems/validation"],
    }),
    title: z.string().describe("Short summary of the kind of problem."),
    status: z.number().int().min(100).max(599).describe("HTTP status code."),
    detail: z.string().describe("Explanation of this occurrence."),
    instance: z.string().optional().describe("URI of this occurrence, usually the request path."),
    requestId: z.string().optional().describe("The request id, for support and logs."),
    errors: z
      .array(
        z.object({
          pointer: z.string().describe("JSON Pointer (RFC 6901) into the request body."),
          detail: z.string().describe("What is wrong with that field."),
        }),
      )
      .optional()
      .describe("For validation problems: the failing fields, at most the first 100 (see `errorCount`)."),
    errorCount: z
      .number()
      .int()
      .optional()
      .describe("For validation problems: how many fields failed, also those `errors` leaves out."),
  })
  .meta({
    id: "Problem",
    description: "An error response (RFC 9457 problem details, `application/problem+json`).",
  });
export type Problem = z.infer<typeof problemSchema>;
