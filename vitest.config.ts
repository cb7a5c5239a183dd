import { defineConfig } from "vitest/config";

// The SDK's tests of its portable entry points (`.` and `./webhooks`) run a second time in an
// edge runtime (the edge-runtime VM: Web APIs, as on Vercel Edge and Cloudflare Workers).
const edgeTests = [
  "packages/sdk/src/webhooks.test.ts",
  "packages/sdk/src/client.test.ts",
  "packages/sdk/src/uuid.test.ts",
  "packages/sdk/src/backoff.test.ts",
];

// One run over every package. Cross-package imports resolve to the built `dist`
// folders, which `npm test` builds first, so tests exercise what users install.
export default defineConfig({
  test: {
    exclude: ["**/node_modules/**", "**/dist/**"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "node",
          include: ["packages/*/src/**/*.test.ts", "tests/**/*.test.ts", "examples/**/*.test.ts"],
        },
      },
      { extends: true, test: { name: "edge", include: edgeTests, environment: "edge-runtime" } },
    ],
  },
});
