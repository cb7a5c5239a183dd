import { defineConfig } from "tsup";

// ESM (`.js`, `.d.ts`) and CommonJS (`.cjs`, `.d.cts`) from one entry, so both the SDK's
// builds can depend on this package. The JSON Schema files are written after, by write.ts.
export default defineConfig({
  entry: { index: "src/index.ts" },
  format: ["esm", "cjs"],
  target: "node20",
  platform: "neutral",
  dts: true,
  sourcemap: true,
  outDir: "dist",
  external: ["zod"],
  removeNodeProtocol: false,
});
