/**
 * The one place where values become shell text. Every remote command is an argv array; it reaches the remote
 * shell (OpenSSH runs `$SHELL -c <string>`) only through `shellJoin`, so no inventory value is ever interpreted.
 */

/** Words made only of these characters need no quoting in POSIX sh. */
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for POSIX sh: single quotes, with each embedded `'` written as `'\''`. */
export function quote(arg: string): string {
  if (arg === "") return "''";
  if (SAFE_WORD.test(arg)) return arg;
  if (arg.includes("\0")) throw new Error("a command argument cannot contain a NUL byte");
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Joins an argv array into one command line that the remote shell splits back into exactly that argv. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("empty command");
  return argv.map(quote).join(" ");
}
