import { $ } from "zx";
import { OperationError } from "../errors.js";

export interface ExecOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs a local program and returns its stdout; a failure keeps the tail of stderr. zx quotes every argument
 * (`${args}` expands an array into separately quoted words), so no value is ever interpreted by the shell.
 */
export async function run(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  // A deadline as an abort signal: zx's own `timeout` kills through a shell, which Node flags as deprecated.
  const signals = [opts.signal, opts.timeoutMs ? AbortSignal.timeout(opts.timeoutMs) : undefined].filter(
    (s): s is AbortSignal => s !== undefined,
  );
  const out = await $({
    quiet: true,
    nothrow: true,
    ...(signals.length > 0 && { signal: AbortSignal.any(signals) }),
    env: opts.env ?? { ...process.env, LC_ALL: "C", SYSTEMD_COLORS: "0" },
  })`${file} ${args}`;
  if (out.exitCode === 0) return out.stdout;
  const tail = (out.stderr || out.stdout || `exit ${out.exitCode ?? out.signal}`)
    .trim()
    .split("\n")
    .slice(-5)
    .join("\n");
  throw new OperationError(`${[file, ...args].join(" ")} failed: ${tail}`);
}
