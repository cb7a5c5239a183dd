import { describe, expect, it } from "vitest";
import {
  boundedText,
  mobilePhoneSchema,
  provinceCodes,
  regionCodeSchema,
  regionPrefixSchema,
  timestampSchema,
} from "./index.js";

describe("boundedText", () => {
  const line = boundedText(10);
  const multi = boundedText(50, { multiline: true });

  it("strips control characters and bidi overrides, and trims", () => {
    expect(line.parse("  a\u0000b\u007fc\u0085 ")).toBe("abc");
    expect(line.parse("ab\u202egnp.exe")).toBe("abgnp.exe");
  });

  it("turns line breaks and tabs in one-line text into spaces", () => {
    expect(line.parse("a\r\nb\tc")).toBe("a b c");
  });

  it("keeps line feeds and tabs in multiline text, normalising CRLF", () => {
    expect(multi.parse("first\r\n\tsecond\rthird\u0007")).toBe("first\n\tsecond\nthird");
  });

  it("bounds the length as sent, in code points", () => {
    expect(line.safeParse("x".repeat(10)).success).toBe(true);
    expect(line.safeParse("x".repeat(11)).success).toBe(false);
    expect(line.safeParse("🛵".repeat(10)).success).toBe(true);
  });

  it("needs one visible character", () => {
    for (const text of ["", "   ", "\u0000\u0001", "\n\t", "\u2066\u2069"]) {
      expect(multi.safeParse(text).success, JSON.stringify(text)).toBe(false);
    }
  });
});

describe("mobilePhoneSchema", () => {
  it("accepts mainland mobiles and removes a +86 prefix", () => {
    expect(mobilePhoneSchema.parse("13800000000")).toBe("13800000000");
    expect(mobilePhoneSchema.parse("+8619900000000")).toBe("19900000000");
  });

  it.each(["12800000000", "1380000000", "138000000000", "+85213800000000", "8613800000000", "010-12345678"])(
    "rejects %s",
    (phone) => {
      expect(mobilePhoneSchema.safeParse(phone).success).toBe(false);
    },
  );
});

describe("regionCodeSchema", () => {
  it("accepts 6- and 9-digit codes under every province", () => {
    for (const province of provinceCodes) {
      expect(regionCodeSchema.safeParse(`${province}0101`).success, province).toBe(true);
      expect(regionCodeSchema.safeParse(`${province}0101001`).success, province).toBe(true);
    }
  });

  it("rejects codes whose first two digits are not a province", () => {
    for (let n = 0; n < 100; n++) {
      const prefix = String(n).padStart(2, "0");
      const expected = (provinceCodes as readonly string[]).includes(prefix);
      expect(regionCodeSchema.safeParse(`${prefix}0101`).success, prefix).toBe(expected);
    }
  });

  it("rejects other lengths, which are prefixes, not places", () => {
    for (const code of ["11", "1101", "11010", "1101051", "11010500", "1101050010"]) {
      expect(regionCodeSchema.safeParse(code).success, code).toBe(false);
    }
    for (const prefix of ["11", "1101", "110105", "110105001"]) {
      expect(regionPrefixSchema.safeParse(prefix).success, prefix).toBe(true);
    }
    expect(regionPrefixSchema.safeParse("110").success).toBe(false);
  });
});

describe("timestampSchema", () => {
  it("requires seconds and an offset", () => {
    expect(timestampSchema.safeParse("2024-06-01T09:30:00+08:00").success).toBe(true);
    expect(timestampSchema.safeParse("2024-06-01T01:30:00.123Z").success).toBe(true);
    expect(timestampSchema.safeParse("2024-06-01T09:30+08:00").success).toBe(false);
    expect(timestampSchema.safeParse("2024-06-01T09:30:00").success).toBe(false);
    expect(timestampSchema.safeParse("2024-06-01").success).toBe(false);
  });
});
