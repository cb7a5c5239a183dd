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

export interface DevLogOptions {
  level?: string;
  /** Where lines go; stdout by default. */
  destination?: NodeJS.WritableStream;
  /** Colour or not; by default when the destination is a terminal (and NO_COLOR is unset, or FORCE_COLOR set). */
  colour?: boolean;
}

/**
 * Logs for a person at a terminal (`gigbridge start --dev`): one readable line per entry, with the
 * time, level and message first and the fields after them; coloured on a terminal, plain when
 * piped. The same redaction applies. Only development uses it: everywhere else logs stay JSON.
 */
export async function createDevLogger(options: DevLogOptions = {}): Promise<Logger> {
  const { default: pretty } = await import("pino-pretty");
  const destination = options.destination ?? process.stdout;
  const stream = pretty({
    colorize: options.colour ?? wantsColour(destination, process.env),
    translateTime: "SYS:HH:MM:ss.l",
    ignore: "pid,hostname,service",
    destination,
    sync: true,
  });
  return createLogger({ ...(options.level ? { level: options.level } : {}), destination: stream });
}

/** Colour on a terminal, unless NO_COLOR asks for none; FORCE_COLOR asks for it anywhere (https://no-color.org). */
export function wantsColour(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return true;
  return (stream as { isTTY?: boolean }).isTTY === true;
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
