#!/usr/bin/env node
// Every public workspace package is publishable: `npm publish --dry-run` passes, and its tarball
// holds what package.json points at (bin, main, types, exports) and its README, source maps ship
// only with their sources (embedded, or beside them), and the package has a CHANGELOG.md.
// Run after `npm run build`.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const npm = (args) => execFileSync("npm", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const workspaces = JSON.parse(npm(["query", ".workspace"])).filter((p) => !p.private);
let failed = false;

for (const pkg of workspaces) {
  const problems = [];
  const [packed] = JSON.parse(npm(["pack", "--dry-run", "--json", "-w", pkg.name]));
  const files = new Set(packed.files.map((f) => f.path));

  const targets = [];
  const collect = (value) => {
    if (typeof value === "string") targets.push(value);
    else if (value && typeof value === "object") for (const v of Object.values(value)) collect(v);
  };
  collect(pkg.bin);
  collect(pkg.main);
  collect(pkg.module);
  collect(pkg.types);
  collect(pkg.exports);
  for (const target of targets) {
    const path = normalize(target).replace(/^\.\//, "");
    if (path.includes("*")) {
      const pattern = new RegExp(`^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".+")}$`);
      if (![...files].some((f) => pattern.test(f))) problems.push(`nothing in the tarball matches ${target}`);
    } else if (!files.has(path)) {
      problems.push(`${target} is not in the tarball`);
    }
  }
  for (const bin of Object.values(typeof pkg.bin === "string" ? { [pkg.name]: pkg.bin } : (pkg.bin ?? {}))) {
    const path = join(pkg.location, bin);
    if (!readFileSync(path, "utf8").startsWith("#!")) problems.push(`bin ${bin} has no #! line`);
  }
  if (!files.has("README.md")) problems.push("README.md is not in the tarball");
  try {
    readFileSync(join(pkg.location, "CHANGELOG.md"), "utf8");
  } catch {
    problems.push("CHANGELOG.md is missing (npx changeset version writes it)");
  }

  for (const file of files) {
    if (!file.endsWith(".map")) continue;
    const map = JSON.parse(readFileSync(join(pkg.location, file), "utf8"));
    map.sources.forEach((source, i) => {
      if (map.sourcesContent?.[i] != null) return;
      const shipped = normalize(join(dirname(file), map.sourceRoot ?? "", source));
      if (!files.has(shipped)) problems.push(`${file}: its source ${source} is neither embedded nor shipped`);
    });
  }

  try {
    npm(["publish", "--dry-run", "-w", pkg.name]);
  } catch (error) {
    problems.push(`npm publish --dry-run failed: ${error.stderr || error.message}`);
  }

  if (problems.length > 0) {
    failed = true;
    console.error(`${pkg.name}@${pkg.version}: NOT publishable`);
    for (const p of problems.slice(0, 20)) console.error(`  ${p}`);
    if (problems.length > 20) console.error(`  ... and ${problems.length - 20} more`);
  } else {
    console.log(`${pkg.name}@${pkg.version}: publishable (${files.size} files, ${packed.size} bytes packed)`);
  }
}
process.exitCode = failed ? 1 : 0;
