import { z } from "zod";
import { gatewayConfigSchema } from "../config/index.js";
import { type EventType, eventSchema, eventSchemas, eventTypes } from "../events/index.js";
import {
  batchRequestSchema,
  type SignalType,
  signalSchema,
  signalSchemas,
  signalTypes,
} from "../signals/index.js";
import { taskSchema } from "../tasks/index.js";

export type JsonSchema = Record<string, unknown>;

/** Names of the exported JSON Schema documents; each is written as `dist/json-schema/<name>.json`. */
export type JsonSchemaName =
  | SignalType
  | EventType
  | "signal"
  | "event"
  | "task"
  | "batch-request"
  | "gateway-config";

function convert(schema: z.ZodType, title: string): JsonSchema {
  // `io: "input"` describes what a sender may send (e.g. a duration as "5m"), not what zod returns after parsing.
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "throw" });
  return { $schema: json.$schema, title, ...json };
}

/**
 * JSON Schema (draft 2020-12) for every signal and event, the signal and event unions, a task, a batch request
 * and the gateway's configuration file, generated from the zod schemas. For platforms in Java, Go and others.
 */
export function jsonSchemas(): Record<JsonSchemaName, JsonSchema> {
  const out = {} as Record<JsonSchemaName, JsonSchema>;
  for (const type of signalTypes) out[type] = convert(signalSchemas[type], `GigBridge signal ${type}`);
  for (const type of eventTypes) out[type] = convert(eventSchemas[type], `GigBridge webhook event ${type}`);
  out.signal = convert(signalSchema, "GigBridge signal");
  out.event = convert(eventSchema, "GigBridge webhook event");
  out.task = convert(taskSchema, "GigBridge task");
  out["batch-request"] = convert(batchRequestSchema, "GigBridge signal batch (POST /v1/signals)");
  out["gateway-config"] = convert(gatewayConfigSchema, "GigBridge gateway configuration");
  return out;
}
