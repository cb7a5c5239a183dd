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

/**
 * Every kind of problem the gateway answers with: its HTTP status, title and when it happens. The
 * one list; the gateway raises these, its OpenAPI document names them per response, `/problems/<kind>`
 * explains each, and the SDK picks its error class by kind. One spelling everywhere (snake_case).
 */
export const problemKinds = {
  validation: {
    status: 422,
    title: "The request is not valid",
    when: "a body, path or query does not match the schema; `errors` lists each failing JSON Pointer",
  },
  malformed_json: { status: 400, title: "The request body is not valid JSON", when: "the body is not JSON" },
  bad_request: {
    status: 400,
    title: "Bad request",
    when: "the request itself is malformed: invalid UTF-8 or a lone surrogate, a duplicate JSON key, a transfer coding the gateway does not read, or a request Node's HTTP parser refuses",
  },
  unauthenticated: {
    status: 401,
    title: "Authentication is required",
    when: "no key, or one the gateway does not know (see `WWW-Authenticate`)",
  },
  forbidden: {
    status: 403,
    title: "Not allowed",
    when: "a key of the wrong kind, or a `viewer` token trying to change something",
  },
  not_found: {
    status: 404,
    title: "Not found",
    when: "no such route, or nothing this caller may see under that id",
  },
  method_not_allowed: {
    status: 405,
    title: "Method not allowed",
    when: "the route exists; `Allow` lists its methods",
  },
  conflict: {
    status: 409,
    title: "Conflict",
    when: "the change clashes with what is stored: a configured endpoint or org, or a concurrent change",
  },
  illegal_transition: {
    status: 409,
    title: "The task cannot move to that state",
    when: "the task's status does not allow the action; `taskStatus` says what it is",
  },
  payload_too_large: {
    status: 413,
    title: "The request body is too large",
    when: "the body is larger than `ingest.maxBodyBytes`",
  },
  batch_too_large: {
    status: 413,
    title: "The batch has too many signals",
    when: "a batch holds more signals than `ingest.maxBatch`",
  },
  unsupported_media_type: {
    status: 415,
    title: "Only application/json is accepted",
    when: "a body that is not `application/json`",
  },
  expectation_failed: {
    status: 417,
    title: "The expectation cannot be met",
    when: "an `Expect` header other than `100-continue`",
  },
  rate_limited: {
    status: 429,
    title: "Too many requests",
    when: "the platform's rate limit was reached; retry after `Retry-After` seconds",
  },
  headers_too_large: {
    status: 431,
    title: "The request headers are too large",
    when: "too many headers, or one too long",
  },
  internal: {
    status: 500,
    title: "Internal error",
    when: "a bug; the `requestId` finds it in the gateway's logs",
  },
  unavailable: {
    status: 503,
    title: "Temporarily unavailable",
    when: "Redis cannot be reached; nothing was stored; retry after `Retry-After` seconds",
  },
} as const satisfies Record<string, { status: number; title: string; when: string }>;

export type ProblemKind = keyof typeof problemKinds;
export const problemKindList = Object.keys(problemKinds) as [ProblemKind, ...ProblemKind[]];
export const problemKindSchema = z.enum(problemKindList).describe("The kind of problem.");

/** Where the gateway explains each kind; a problem's `type` is this path plus the kind. */
export const PROBLEM_PATH = "/problems/";

/** The `type` URI of a problem kind: a path on the gateway itself, which serves a page about it. */
export function problemTypeOf(kind: ProblemKind): string {
  return PROBLEM_PATH + kind;
}

/**
 * The kind a problem `type` names, or undefined for one this version does not know. Reads today's
 * `/problems/<kind>` (relative or absolute) and the earlier `https://gigbridge.dev/problems/<kebab-kind>`.
 */
export function problemKindOf(type: unknown): ProblemKind | undefined {
  if (typeof type !== "string") return undefined;
  const at = type.lastIndexOf(PROBLEM_PATH);
  if (at < 0) return undefined;
  const kind = type.slice(at + PROBLEM_PATH.length).replaceAll("-", "_");
  return Object.hasOwn(problemKinds, kind) ? (kind as ProblemKind) : undefined;
}

export const problemSchema = z
  .object({
    type: z.enum(problemKindList.map(problemTypeOf) as [string, ...string[]]).meta({
      description:
        "URI of the kind of problem, `/problems/<kind>` on the gateway (a page explains it); one of the kinds in docs/api-conventions.md.",
      examples: ["/problems/validation"],
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
