/**
 * Starts the OpenTelemetry SDK when the environment configures an exporter, in the standard way:
 * `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), or `OTEL_TRACES_EXPORTER`
 * (`otlp`, `console`, `zipkin`), with `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`,
 * `OTEL_TRACES_SAMPLER`, `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_EXPORTER_OTLP_HEADERS` and the rest read
 * by the SDK itself. `OTEL_SDK_DISABLED=true` turns it off.
 *
 * Without any of them the SDK is not even loaded: the gateway's spans are no-ops and the platform's
 * `traceparent` is passed through to webhooks unchanged.
 *
 * Returns a function that flushes and stops the SDK, or undefined when it was not started.
 */
export async function startTracing(
  env: NodeJS.ProcessEnv = process.env,
): Promise<(() => Promise<void>) | undefined> {
  if (!tracingConfigured(env)) return undefined;
  const { NodeSDK } = await import("@opentelemetry/sdk-node");
  const sdk = new NodeSDK({
    // The service is "gigbridge" unless the operator names it (OTEL_SERVICE_NAME or the resource attributes).
    ...(env.OTEL_SERVICE_NAME || env.OTEL_RESOURCE_ATTRIBUTES?.includes("service.name=")
      ? {}
      : { serviceName: "gigbridge" }),
    instrumentations: [],
  });
  sdk.start();
  return () => sdk.shutdown();
}

/** Whether the environment asks for traces to be exported. */
export function tracingConfigured(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  if (exporters.includes("none")) return false;
  return (
    exporters.length > 0 || Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
  );
}
