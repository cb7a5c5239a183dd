import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const src = import.meta.dirname;

/** Source files that ship (tests and test helpers left out), with the stage folder of each. */
function sources(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "test-support" ? [] : sources(path);
    return /\.ts$/.test(entry.name) && !/\.test\.ts$|(^|\/)testing\.ts$/.test(entry.name) ? [path] : [];
  });
}

const folderOf = (file: string) => relative(src, file).split("/")[0] as string;

/** stage folder → the stage folders its shipped code imports (`import type` too, unless left out). */
function folderGraph(withTypes = true): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources()) {
    const from = folderOf(file);
    const edges = graph.get(from) ?? new Set<string>();
    graph.set(from, edges);
    for (const [, type, spec] of readFileSync(file, "utf8").matchAll(
      /^(?:import|export)( type)?[^;]*?from "(\.{1,2}\/[^"]+)"/gms,
    )) {
      if (type && !withTypes) continue;
      const to = folderOf(resolve(file, "..", spec as string));
      if (to !== from) edges.add(to);
    }
  }
  return graph;
}

function findCycle(graph: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === "done") return undefined;
    if (state.get(node) === "open") return [...path.slice(path.indexOf(node)), node];
    state.set(node, "open");
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(node, "done");
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe("the stage folders", () => {
  it("import each other one way only: no cycle between folders", () => {
    // Erasure and master-key rotation are beside the pipeline, like ops, but each must reach into every
    // stage's keys while the stages check its marks (a tombstone, a previous key); those two-way ties
    // are the ones allowed, and only there.
    const graph = folderGraph();
    for (const across of ["erasure", "rotation"]) {
      graph.delete(across);
      for (const edges of graph.values()) edges.delete(across);
    }
    const cycle = findCycle(graph);
    expect(cycle, cycle && `import cycle: ${cycle.join(" → ")}`).toBeUndefined();
  });

  it("keep the pipeline's order: a stage hands on to later stages and uses no code of earlier ones", () => {
    // A stage may name the type of what it receives (`import type`), nothing more.
    const order = ["ingest", "processing", "tasks", "delivery"];
    const graph = folderGraph(false);
    for (const [i, stage] of order.entries()) {
      for (const earlier of order.slice(0, i)) {
        expect(graph.get(stage)?.has(earlier), `${stage} imports ${earlier}`).toBeFalsy();
      }
    }
  });
});
