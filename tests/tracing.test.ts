import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { GigBridge } from "@gigbridge/sdk";
import { waitFor } from "@gigbridge/testkit";
import { trace } from "@opentelemetry/api";
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startTestGateway,
  type TestGateway,
  testKeys,
} from "../packages/gateway/src/test-support/gateway.js";

/**
 * W3C trace context from the platform's code to the organization's webhook receiver. The platform
 * process, the gateway and the receiver share this test process, so one in-memory exporter sees
 * every span: the SDK's request, intake, processing and the delivery attempt.
 */

const secret = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
const consent = {
  id: "c-trace",
  grantedAt: "2026-11-29T08:00:00+08:00",
  scopes: ["share_membership" as const],
};
const member = (workerId: string) => ({
  workerId,
  politicalStatus: "member" as const,
  regionCode: "110105001",
  homeOrganization: { name: "Home branch" },
  consent,
});

describe("trace context from the SDK to the webhook", () => {
  let t: TestGateway;
  let receiver: Server;
  const received: { type: string; headers: IncomingHttpHeaders }[] = [];
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider | undefined;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { type: string };
        received.push({ type: body.type, headers: req.headers });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", () => done()));
    const address = receiver.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
    t = await startTestGateway({
      config: {
        ingest: { rateLimit: { perSecond: 10_000, burst: 10_000 } },
        endpoints: [{ id: "ep-trace", org: "street-a", url, secret }],
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    receiver?.close();
    await provider?.shutdown();
    trace.disable();
  });

  const taskCreated = () =>
    waitFor(() => received.find((r) => r.type === "task.created"), {
      description: "the task.created webhook",
    });

  it("without an OpenTelemetry SDK, passes the platform's traceparent through to the webhook", async () => {
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const response = await t.call("POST", "/v1/signals", {
      key: testKeys.platform,
      headers: { traceparent, tracestate: "platform=abc" },
      body: {
        id: "trace-plain-1",
        type: "membership.declared",
        occurredAt: "2026-12-01T08:00:00+08:00",
        data: member("w-trace-plain"),
      },
    });
    expect(response.status).toBe(202);
    const webhook = await taskCreated();
    // No gateway spans record: the receiver sees the platform's own context, unchanged.
    expect(webhook.headers.traceparent).toBe(traceparent);
    expect(webhook.headers.tracestate).toBe("platform=abc");
    received.length = 0;
  });

  it("with an SDK, one trace holds the SDK request, intake, processing and the delivery attempt", async () => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
    const client = new GigBridge({ apiKey: testKeys.platform, baseUrl: t.url });

    const tracer = trace.getTracer("platform-onboarding");
    const traceId = await tracer.startActiveSpan("onboard worker", async (span) => {
      await client.membership.declared(member("w-trace-sdk"), { id: "trace-sdk-1" });
      span.end();
      return span.spanContext().traceId;
    });
    await client.close();

    const webhook = await taskCreated();
    const spans = await waitFor(
      () => {
        const inTrace = exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
        return inTrace.some((s) => s.name === "gigbridge.deliver") ? inTrace : undefined;
      },
      { description: "the delivery span" },
    );
    const named = (name: string): ReadableSpan => {
      const found = spans.filter((s) => s.name === name);
      expect(found, name).toHaveLength(1);
      return found[0] as ReadableSpan;
    };
    const root = named("onboard worker");
    const request = named("POST /v1/signals");
    const intake = named("gigbridge.intake");
    const processing = named("gigbridge.process");
    const delivery = named("gigbridge.deliver");
    const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
    expect(parentOf(request)).toBe(root.spanContext().spanId);
    expect(parentOf(intake)).toBe(request.spanContext().spanId);
    expect(parentOf(processing)).toBe(intake.spanContext().spanId);
    expect(parentOf(delivery)).toBe(processing.spanContext().spanId);
    expect(processing.attributes).toMatchObject({
      "gigbridge.signal.id": "trace-sdk-1",
      "gigbridge.signal.type": "membership.declared",
    });
    expect(delivery.attributes).toMatchObject({
      "gigbridge.endpoint": "ep-trace",
      "gigbridge.delivery.outcome": "success",
      "http.response.status_code": 204,
    });

    // The receiver's traceparent is the delivery attempt's span, in the platform's trace.
    expect(webhook.headers.traceparent).toBe(`00-${traceId}-${delivery.spanContext().spanId}-01`);
    // Nothing personal on a span: the platform's worker id stays out.
    for (const span of spans) expect(JSON.stringify(span.attributes)).not.toContain("w-trace-sdk");
  });
});
