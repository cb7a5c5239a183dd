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
  return options.destination
    ? pino({ level, redact, base: { service: "gigbridge" } }, options.destination as pino.DestinationStream)
    : pino({ level, redact, base: { service: "gigbridge" } });
}
