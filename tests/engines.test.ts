import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

interface Manifest {
  name: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Manifest;

/** The Node versions a package says it needs, read from its installed package.json. */
function enginesOf(from: string, name: string): string | undefined {
  const require = createRequire(join(from, "package.json"));
  try {
    return read(require.resolve(`${name}/package.json`)).engines?.node;
  } catch {
    return undefined; // no package.json export, or an optional peer that is not installed
  }
}

// What runs for users is each package's dependencies; what runs for contributors (build, tests,
// vite) is the root's devDependencies. Each `engines.node` must be at least what those need.
const packages = ["packages/gateway", "packages/sdk", "packages/schemas", "packages/testkit"];

describe("engines.node", () => {
  it.each([".", ...packages])("%s states a Node version that every dependency it runs supports", (dir) => {
    const manifest = read(join(root, dir, "package.json"));
    const stated = manifest.engines?.node;
    expect(stated, `${manifest.name} has engines.node`).toBeDefined();
    const lowest = semver.minVersion(stated as string)?.version as string;
    const deps = {
      ...manifest.dependencies,
      ...(dir === "." ? manifest.devDependencies : {}),
    };
    for (const name of Object.keys(deps)) {
      const needs = enginesOf(join(root, dir), name);
      if (!needs) continue;
      expect(
        semver.satisfies(lowest, needs),
        `${manifest.name} says Node ${stated}, but ${name} needs ${needs}`,
      ).toBe(true);
    }
  });
});
