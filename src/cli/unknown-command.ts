import type { Command, Option } from "commander";

/**
 * `np <unknown> --help` would print np's own help and exit 0, as if the command existed. When the arguments name
 * a command np does not have, the help flags are dropped, so commander reports the unknown command (exit 2,
 * with a "did you mean").
 */
export function withoutHelpForUnknownCommand(program: Command, argv: readonly string[]): string[] {
  const asksHelp = argv.some((a) => a === "-h" || a === "--help");
  if (!asksHelp || unknownCommandIn(program, argv) === undefined) return [...argv];
  return argv.filter((a) => a !== "-h" && a !== "--help");
}

/** The first operand that names none of the subcommands where one is expected, if any. */
export function unknownCommandIn(program: Command, argv: readonly string[]): string | undefined {
  let command = program;
  const scopes: Command[] = [program];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") return undefined;
    if (arg.startsWith("-")) {
      if (!arg.includes("=") && takesValue(scopes, arg)) i++;
      continue;
    }
    // A command with its own arguments, or without subcommands, takes operands: nothing more to check.
    if (command.commands.length === 0 || command.registeredArguments.length > 0) return undefined;
    if (arg === "help") return undefined; // commander's own `help [command]`
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) return arg;
    command = sub;
    scopes.push(sub);
  }
  return undefined;
}

/** Whether the flag is an option (of this command or an enclosing one) that takes a value. */
function takesValue(scopes: readonly Command[], flag: string): boolean {
  const option = scopes
    .flatMap((c) => c.options as readonly Option[])
    .find((o) => o.long === flag || o.short === flag);
  return Boolean(option && (option.required || option.optional));
}
