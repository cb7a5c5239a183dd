import { describe, expect, it } from "vitest";
import { uuidv7 } from "./uuid.js";

const shape = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("uuidv7", () => {
  it("has the version 7 and RFC 9562 variant bits and the time in its first 48 bits", () => {
    const now = Date.parse("2024-06-01T00:00:00Z");
    const id = uuidv7(now);
    expect(id).toMatch(shape);
    expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(now);
  });

  it("sorts in creation order, also within one millisecond and when the clock steps back", () => {
    const now = Date.now() + 10_000;
    const ids = [...Array.from({ length: 5000 }, () => uuidv7(now)), uuidv7(now - 5000), uuidv7(now + 1)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => shape.test(id))).toBe(true);
  });
});
