import { readFile } from "node:fs/promises";
import { type GatewayConfig, gatewayConfigSchema, validationErrors } from "@gigbridge/schemas";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads and validates a configuration file; errors name the file and each failing JSON Pointer. */
export async function loadConfig(path: string): Promise<GatewayConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read configuration ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`configuration ${path} is not valid JSON: ${(error as Error).message}`);
  }
  return parseConfig(json, path);
}

export function parseConfig(json: unknown, source = "configuration"): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(json);
  if (!result.success) {
    const lines = validationErrors(result.error).map((e) => `  ${e.pointer || "/"}: ${e.detail}`);
    throw new ConfigError(`${source} is not valid:\n${lines.join("\n")}`);
  }
  return result.data;
}
