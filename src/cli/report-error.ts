import { CommanderError } from "commander";
import { HostError, HostsFailed, InputError, NpError } from "../errors.js";
import type { Output } from "../output/port.js";
import { isProgrammingError } from "../programming-error.js";

/**
 * Prints an error the way a user needs it and returns the exit code: np's own errors with their problems and hint
 * (and, with --verbose, the full remote stderr of every failed command and the stacks); anything else, a bug in
 * np, as an internal error with its stack under --verbose.
 */
export function reportError(
  err: unknown,
  out: Output,
  verbose: boolean,
  stderr: NodeJS.WritableStream,
): number {
  const write = (text: string) => stderr.write(`${text}\n`);
  if (err instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    if (err.exitCode === 0) return 0;
    out.error(err.message.replace(/^error: /, ""));
    write("run `np --help` (or `np <command> --help`) for usage");
    return 2;
  }
  if (err instanceof NpError && (err.cause === undefined || !isProgrammingError(err.cause))) {
    out.error(err.message);
    if (err instanceof InputError) for (const p of err.problems) write(`  ${p}`);
    if (err.hint) write(out.paint("dim", `hint: ${err.hint}`));
    if (verbose) for (const line of verboseDetail(err)) write(line);
    return err.exitCode;
  }
  const bug = err instanceof NpError && err.cause instanceof Error ? err.cause : err;
  const e = bug instanceof Error ? bug : new Error(String(bug));
  out.error(`internal error: ${e.message}`);
  write(
    verbose ? (e.stack ?? e.message) : "run again with --verbose for the stack trace, and please report it",
  );
  return 1;
}

/** With --verbose: each failed host's whole remote stderr (every line names its host), then the stacks. */
export function verboseDetail(err: NpError): string[] {
  const failures = err instanceof HostsFailed ? err.failures : err instanceof HostError ? [err] : [];
  const lines: string[] = [];
  for (const f of failures) {
    const text = f.stderr?.trimEnd();
    if (!text) continue;
    lines.push(`${f.host}: stderr of the failed command:`);
    for (const l of text.split("\n")) lines.push(`${f.host}:   ${l}`);
  }
  const withStacks = err instanceof HostsFailed ? err.failures : [err];
  for (const e of withStacks) {
    if (e.stack) lines.push(e.stack);
    if (e.cause instanceof Error && e.cause.stack) lines.push(`caused by: ${e.cause.stack}`);
  }
  return lines;
}
