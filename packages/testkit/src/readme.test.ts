import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as testkit from "./index.js";

const here = import.meta.dirname;
const readme = readFileSync(join(here, "../README.md"), "utf8");

describe("the testkit README", () => {
  it("documents every helper the package exports", () => {
    for (const name of Object.keys(testkit)) expect(readme, name).toContain(`\`${name}`);
  });

  it("is linked from the root README", () => {
    const root = readFileSync(join(here, "../../../README.md"), "utf8");
    expect(root).toContain("(packages/testkit/README.md)");
  });
});
