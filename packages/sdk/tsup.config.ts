import { defineConfig, type Options } from "tsup";

// Every entry point of package.json's `exports`, built twice: ESM (`.js`, `.d.ts`) and
// CommonJS (`.cjs`, `.d.cts`). Shared code goes to chunks, so `instanceof` on the errors
// holds across entry points within one format.
const entry = {
  index: "src/index.ts",
  webhooks: "src/webhooks.ts",
  node: "src/node.ts",
  hono: "src/handlers/hono.ts",
  express: "src/handlers/express.ts",
  "node-http": "src/handlers/node-http.ts",
};

const shared: Options = {
  entry,
  target: "node20",
  platform: "neutral",
  dts: true,
  sourcemap: true,
  splitting: true,
  treeshake: false,
  outDir: "dist",
  external: ["@gigbridge/schemas", "hono", "express", /^node:/],
  removeNodeProtocol: false,
};

export default defineConfig([
  {
    ...shared,
    format: "esm",
    define: { __GIGBRIDGE_NODE_ENTRY__: JSON.stringify("./node.js") },
  },
  {
    ...shared,
    format: "cjs",
    define: { __GIGBRIDGE_NODE_ENTRY__: JSON.stringify("./node.cjs") },
  },
]);
