import { type Logger, pino } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Secrets and personal data are redacted by path, so a
 * careless `log.info({ signal })` still cannot leak a key, a phone number, a
 * name or a platform's worker id.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const redact = {
    paths: [
      "authorization",
      "*.authorization",
      "headers.authorization",
      "req.headers.authorization",
      "apiKey",
      "*.apiKey",
      "token",
      "*.token",
      "secret",
      "*.secret",
      "*.secrets",
      "contact",
      "*.contact",
      "*.*.contact",
      "phone",
      "*.phone",
      "workerId",
      "*.workerId",
      "*.*.workerId",
      "summary",
      "*.summary",
      "*.*.summary",
    ],
    censor: "[redacted]",
  };
  const level = options.level ?? process.env.LOG_LEVEL ?? "info";
  const settings = { level, redact, base: { service: "gigbridge" }, serializers: { err: serializeError } };
  return options.destination ? pino(settings, options.destination as pino.DestinationStream) : pino(settings);
}

/**
 * Errors as pino prints them, minus what ioredis attaches: a Redis error
 * carries the command and its arguments, which may hold a worker record or a
 * task with contact details. Causes are cleaned the same way.
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const out = pino.stdSerializers.err(error) as unknown as Record<string, unknown>;
  const clean = (value: Record<string, unknown>, depth: number): Record<string, unknown> => {
    const { command: _command, args: _args, previousErrors: _previous, ...rest } = value;
    if (depth < 5 && rest.cause && typeof rest.cause === "object") {
      rest.cause = clean(rest.cause as Record<string, unknown>, depth + 1);
    }
    return rest;
  };
  return clean(out, 0);
}
