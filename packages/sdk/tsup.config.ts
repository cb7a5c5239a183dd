import { defineConfig } from "tsup";

// Every entry point of package.json's `exports`, built as ESM (`.js`, `.d.ts`) and CommonJS
// (`.cjs`, `.d.cts`). Shared code goes to chunks, so `instanceof` on the errors holds across
// entry points within one format.
export default defineConfig({
  entry: {
    index: "src/index.ts",
    webhooks: "src/webhooks.ts",
    node: "src/node.ts",
    hono: "src/handlers/hono.ts",
    express: "src/handlers/express.ts",
    "node-http": "src/handlers/node-http.ts",
  },
  format: ["esm", "cjs"],
  target: "node20",
  platform: "neutral",
  dts: true,
  // Left out: tsup's CommonJS chunks map to an absolute path of the build machine, which no user has.
  sourcemap: false,
  splitting: true,
  treeshake: false,
  outDir: "dist",
  external: ["@gigbridge/schemas", "hono", "express", /^node:/],
  removeNodeProtocol: false,
  esbuildOptions(options, { format }) {
    // The file the client imports for its spool, beside itself in the same format (see client.ts).
    options.define = {
      ...options.define,
      __GIGBRIDGE_NODE_ENTRY__: JSON.stringify(format === "cjs" ? "./node.cjs" : "./node.js"),
    };
  },
});
