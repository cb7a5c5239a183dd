// Build step: writes dist/json-schema/<name>.json from the source schemas. Run by `npm run build`; the
// files are generated from the zod schemas and never edited by hand.
import { mkdir, writeFile } from "node:fs/promises";
import { jsonSchemas } from "./index.js";

const dir = new URL("../../dist/json-schema/", import.meta.url);
await mkdir(dir, { recursive: true });
const schemas = jsonSchemas();
for (const [name, schema] of Object.entries(schemas)) {
  await writeFile(new URL(`${name}.json`, dir), `${JSON.stringify(schema, null, 2)}\n`);
}
console.log(`wrote ${Object.keys(schemas).length} JSON Schema files to ${dir.pathname}`);
