import { type ChildProcess, spawn } from "node:child_process";
import { join, resolve } from "node:path";

/** The repository root and the built CLI, as a user runs it (`npm test` builds first). */
export const root = resolve(import.meta.dirname, "../..");
export const cli = join(root, "packages/gateway/dist/cli/main.js");

/** Starts `gigbridge <args>` with `env`; its stdout and stderr are collected together. */
export function gigbridge(
  args: string[],
  env: NodeJS.ProcessEnv,
): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: root,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  return { child, output: () => output };
}

/** The exit code of a child, now or when it exits. */
export const exit = (child: ChildProcess) =>
  child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : new Promise<number | null>((done) => child.once("exit", done));

/** Runs `gigbridge <args>` to its end. */
export async function run(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const started = gigbridge(args, env);
  const code = await exit(started.child);
  return { code, output: started.output() };
}
