import { describe, expect, it } from "vitest";
import { z } from "zod";
import { batchRequestSchema } from "./index.js";

describe("BatchRequest", () => {
  it("is documented as the body of the batch route, not of the single-signal route", () => {
    // This description reaches the OpenAPI document and the exported JSON Schema.
    const schema = z.toJSONSchema(batchRequestSchema) as { $defs: Record<string, { description?: string }> };
    expect(schema.$defs.BatchRequest?.description).toMatch(/`POST \/v1\/signals\/batch`/);
  });
});
