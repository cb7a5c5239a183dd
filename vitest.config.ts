import { defineConfig } from "vitest/config";

// One run over every package. Cross-package imports resolve to the built `dist`
// folders, which `npm test` builds first, so tests exercise what users install.
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts", "examples/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
  },
});
