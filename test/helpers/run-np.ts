import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Absolute path of the built `np` entry point (built by `npm test` before vitest runs). */
export const npBin = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));

/**
 * The Node that runs np in tests: $NP_TEST_NODE (CI runs the CLI tests again with the oldest Node np supports),
 * else the Node that runs the tests.
 */
export const nodeBin = process.env.NP_TEST_NODE || process.execPath;

export interface NpResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built np as a user would (with `nodeBin`); never throws. */
export function runNp(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): NpResult {
  const r = spawnSync(nodeBin, [npBin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Runs the built np without blocking this process's event loop: needed when the test itself serves something
 * np talks to (an artifact mirror on loopback). `bin`: another build's entry point (an earlier np's).
 */
export function runNpAsync(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; bin?: string } = {},
): Promise<NpResult> {
  const child = spawn(nodeBin, [opts.bin ?? npBin, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
    timeout: opts.timeoutMs ?? 600_000,
  });
  return collectOutput(child);
}

/** A child's exit code and whole output once it has closed (-1 when it could not run or was killed). */
export function collectOutput(child: ChildProcessWithoutNullStreams): Promise<NpResult> {
  return new Promise((resolve) => {
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", (e) => {
      stderr += e.message;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
