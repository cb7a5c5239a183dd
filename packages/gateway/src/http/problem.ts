import { problemSchema, problemTypeOf } from "@gigbridge/schemas";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import {
  GatewayError,
  isRedisUnavailable,
  type ProblemKind,
  problemKinds,
  UnavailableError,
} from "../core/errors.js";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** An OpenAPI response that is a problem+json body, for route definitions. */
export function problemDoc(description: string) {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}

/** The `type` URI of a problem kind: `/problems/<kind>`, a page the gateway serves. */
export const problemType = problemTypeOf;

/** Renders an error as an RFC 9457 problem+json response. Unknown errors become a bare 500. */
export function problemResponse(c: Context, error: unknown): Response {
  const problem = toGatewayError(error);
  const body: Record<string, unknown> = {
    type: problemType(problem.kind),
    title: problemKinds[problem.kind].title,
    status: problem.status,
    detail: problem.message,
    instance: new URL(c.req.url).pathname,
    requestId: c.get("requestId"),
    ...problem.extensions,
  };
  if (problem.errors) body.errors = problem.errors;
  return new Response(JSON.stringify(body), {
    status: problem.status,
    headers: { "content-type": PROBLEM_CONTENT_TYPE, ...problem.headers },
  });
}

function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  // Any route that reaches Redis while it is away answers 503 with Retry-After, never a bare 500.
  if (isRedisUnavailable(error)) return new UnavailableError("Redis is unavailable; retry shortly.", error);
  if (error instanceof HTTPException) {
    if (error.status === 400)
      return new GatewayError("malformed_json", "The request body could not be parsed as JSON.");
    if (error.status === 413) return new GatewayError("payload_too_large", error.message);
    return new GatewayError(statusKind(error.status), error.message || "The request was refused.");
  }
  return new GatewayError(
    "internal",
    "An internal error occurred; the request id identifies it in the logs.",
  );
}

function statusKind(status: number): ProblemKind {
  const found = Object.entries(problemKinds).find(([, v]) => v.status === status);
  return (found?.[0] as ProblemKind | undefined) ?? "internal";
}

type OpenApiResponse = { content?: Record<string, { schema?: unknown }>; "x-problem-kinds"?: string[] };
export type OpenApiDocument = {
  paths?: Record<string, Record<string, { responses?: Record<string, OpenApiResponse> }>>;
};

/**
 * Names the problem kinds each error response can carry: its `type` is narrowed to the kinds of
 * that status, and `x-problem-kinds` lists them, so a client knows which errors to expect where.
 */
export function withProblemKinds<D extends OpenApiDocument>(document: D): D {
  for (const operations of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const media = response.content?.[PROBLEM_CONTENT_TYPE];
        if (!media || Number(status) < 400) continue;
        const kinds = (Object.keys(problemKinds) as ProblemKind[]).filter(
          (k) => String(problemKinds[k].status) === status,
        );
        response["x-problem-kinds"] = kinds;
        media.schema = {
          allOf: [
            { $ref: "#/components/schemas/Problem" },
            { type: "object", properties: { type: { enum: kinds.map(problemTypeOf) } } },
          ],
        };
      }
    }
  }
  return document;
}
