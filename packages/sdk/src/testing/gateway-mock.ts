// Test support only (excluded from the build): msw handlers that answer like the gateway.
import {
  type ProblemKind,
  problemKindList,
  problemKinds,
  problemTypeOf,
  type SignalInput,
  type SignalType,
  signalExamples,
} from "@gigbridge/schemas";
import { HttpResponse, http } from "msw";
import { vi } from "vitest";
import type { SignalRequest } from "../client.js";

export const baseUrl = "https://gateway.test";
export const batchUrl = `${baseUrl}/v1/signals/batch`;
export const singleUrl = `${baseUrl}/v1/signals`;

export interface RecordedRequest {
  headers: Headers;
  body: unknown;
}

/** The signals in a recorded single or batch request body. */
export function signalsOf(request: RecordedRequest): SignalInput[] {
  const body = request.body as { signals?: SignalInput[] } & SignalInput;
  return body.signals ?? [body];
}

type Reply = (request: RecordedRequest, index: number) => Response | Promise<Response>;

/** Answers every request on `url` with `reply`, keeping each request for assertions. */
export function gatewayRoute(url: string, reply: Reply = (request) => accept(signalsOf(request))) {
  const requests: RecordedRequest[] = [];
  const handler = http.post(url, async ({ request }) => {
    const recorded = { headers: request.headers, body: await request.json() };
    requests.push(recorded);
    return reply(recorded, requests.length - 1);
  });
  return { handler, requests };
}

/** A 202 accepting `signals`, except the ids listed as duplicates. */
export function accept(signals: SignalInput[], duplicates: readonly string[] = []): Response {
  const ids = signals.map((s) => s.id);
  return HttpResponse.json(
    {
      accepted: ids.filter((id) => !duplicates.includes(id)),
      duplicates: ids.filter((id) => duplicates.includes(id)),
    },
    { status: 202 },
  );
}

/** The first problem kind with this status, as the gateway would name it (none for 408 and the like). */
export function kindFor(status: number): ProblemKind | undefined {
  return problemKindList.find((kind) => problemKinds[kind].status === status);
}

/** A problem+json error response like the gateway's (of `kind`, by default the first kind of the status). */
export function problem(
  status: number,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return new HttpResponse(
    JSON.stringify({
      type: ((kind) => (kind ? problemTypeOf(kind) : "about:blank"))(kindFor(status)),
      title: `status ${status}`,
      status,
      detail: `the gateway answered ${status}`,
      requestId: "req_body",
      ...extra,
    }),
    {
      status,
      headers: { "content-type": "application/problem+json", "x-request-id": `req_${status}`, ...headers },
    },
  );
}

let counter = 0;
/** A valid signal of `type` with a fresh id, built from the schemas' own example. */
export function exampleSignal<T extends SignalType = "worker.offboarded">(
  type: T = "worker.offboarded" as T,
): SignalRequest {
  const example = signalExamples[type];
  return { ...structuredClone(example), id: `sig_test_${++counter}` } as unknown as SignalRequest;
}

/**
 * Lets promises and already-due fake timers run until `check` holds. Bounded: it fails
 * the test instead of spinning when the condition never comes true.
 */
export async function until(check: () => boolean, description = "condition"): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await vi.advanceTimersByTimeAsync(0);
  }
  throw new Error(`never reached: ${description}`);
}
