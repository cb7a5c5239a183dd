import {
  type Attributes,
  context,
  createTraceState,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
  trace,
} from "@opentelemetry/api";

export { SpanKind, SpanStatusCode };

/**
 * W3C trace context (https://www.w3.org/TR/trace-context/) as it travels with a signal: from the
 * platform's request, through the queue and processing, to every webhook the signal caused.
 */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const INVALID_TRACE = /^0{32}$/;
const INVALID_SPAN = /^0{16}$/;
/** tracestate: at most 32 list members of at most 256 characters each (W3C); longer is dropped. */
const MAX_TRACESTATE = 32 * 257;

/**
 * The trace context of a request's `traceparent` and `tracestate` headers, or undefined when there
 * is none or it is malformed (the W3C rule: an invalid traceparent is ignored, never an error).
 */
export function traceContextOf(
  traceparent: string | null | undefined,
  tracestate: string | null | undefined,
): TraceContext | undefined {
  if (!traceparent) return undefined;
  const match = TRACEPARENT.exec(traceparent.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, , rest] = match;
  // Version ff is invalid; version 00 has nothing after the flags.
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (INVALID_TRACE.test(traceId as string) || INVALID_SPAN.test(spanId as string)) return undefined;
  const state = tracestate?.trim();
  return {
    traceparent: `00-${traceId}-${spanId}-${match[4]}`,
    ...(state && state.length <= MAX_TRACESTATE ? { tracestate: state } : {}),
  };
}

/** The W3C headers for a trace context (to send on a webhook). */
export function traceHeaders(trace: TraceContext | undefined): Record<string, string> {
  if (!trace) return {};
  return trace.tracestate
    ? { traceparent: trace.traceparent, tracestate: trace.tracestate }
    : { traceparent: trace.traceparent };
}

const tracer = trace.getTracer("@gigbridge/gateway");

function parentContext(parent: TraceContext | undefined) {
  if (!parent) return ROOT_CONTEXT;
  const [, traceId, spanId, flags] = parent.traceparent.split("-");
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: traceId as string,
    spanId: spanId as string,
    traceFlags: Number.parseInt(flags as string, 16),
    isRemote: true,
    ...(parent.tracestate ? { traceState: createTraceState(parent.tracestate) } : {}),
  });
}

function contextOf(span: Span, parent: TraceContext | undefined): TraceContext {
  const { traceId, spanId, traceFlags, traceState } = span.spanContext();
  const state = traceState?.serialize() || parent?.tracestate;
  return {
    traceparent: `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, "0")}`,
    ...(state ? { tracestate: state } : {}),
  };
}

export interface SpanOptions {
  kind: SpanKind;
  /** The context this work continues (from a request, or stored with a job). */
  parent: TraceContext | undefined;
  attributes?: Attributes;
}

/** What a span's work can add once it knows more (a status code, an outcome). */
export interface SpanHandle {
  /** The context to hand on: this span's when it records, else the parent's, unchanged. */
  readonly context: TraceContext | undefined;
  setAttributes(attributes: Attributes): void;
  setStatus(status: SpanStatus): void;
}

/**
 * Runs `fn` as a span named `name`, child of `parent`. With no OpenTelemetry SDK registered (or a
 * sampler that drops it) the span does not record: `fn` gets the parent's context unchanged, so
 * webhooks still carry the platform's trace, and the cost is one no-op span object.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: SpanHandle) => Promise<T>,
): Promise<T> {
  const parent = parentContext(options.parent);
  const span = tracer.startSpan(
    name,
    { kind: options.kind, ...(options.attributes ? { attributes: options.attributes } : {}) },
    parent,
  );
  if (!span.isRecording()) {
    return fn({ context: options.parent, setAttributes: () => {}, setStatus: () => {} });
  }
  const handle: SpanHandle = {
    context: contextOf(span, options.parent),
    setAttributes: (attributes) => span.setAttributes(attributes),
    setStatus: (status) => span.setStatus(status),
  };
  try {
    // Active for the work's own calls, so any instrumentation the operator added nests under it.
    return await context.with(trace.setSpan(parent, span), () => fn(handle));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
