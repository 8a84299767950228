/**
 * Remote commands as data (Kamal style): pure functions that return argv arrays. They never run anything, so
 * they are tested by comparing arrays. `src/remote/quote.ts` turns them into shell text in one place.
 */

export type Argv = readonly string[];

/** Runs argv as root through sudo, failing instead of prompting (`-n`) when a password would be needed. */
export function asRoot(argv: Argv, loginUser: string): Argv {
  return loginUser === "root" ? argv : ["sudo", "-n", "--", ...argv];
}

/** Runs a constant script text (read from stdin) with sh; values must be passed as arguments, never spliced in. */
export function shScript(args: readonly string[] = []): Argv {
  return ["sh", "-s", "--", ...args];
}

/** Runs a constant inline script with values as positional parameters ($1, $2, …), never spliced into the text. */
export function shInline(script: string, args: readonly string[] = []): Argv {
  return ["sh", "-c", script, "sh", ...args];
}
