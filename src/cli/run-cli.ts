import { Command, Option } from "commander";
import { npVersion } from "../deploy/np-version.js";
import { Interrupted } from "../errors.js";
import { commands } from "./commands/index.js";
import { createOutput } from "./output.js";
import { reportError } from "./report-error.js";
import { withoutHelpForUnknownCommand } from "./unknown-command.js";

/** Builds the whole command tree; exported so tests can inspect it without spawning a process. */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command("np")
    .description("Turn bare Linux VMs into a HashiStack cluster (Nomad, Consul, Traefik, OpenObserve).")
    .version(npVersion(), "--version", "print np's version")
    .helpOption("-h, --help", "show help for a command")
    .option("-i, --inventory <file>", "inventory file (default: $NP_INVENTORY or ./inventory.yaml)")
    .option("--json", "print machine-readable JSON where the output is data")
    .option("-v, --verbose", "show detail: full remote stderr, stack traces")
    .addOption(new Option("--no-color", "no colours in output (also NO_COLOR=1)"))
    .option("--yes", "answer yes to prompts")
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ outputError: () => {} });
  for (const register of commands) register(program, signal);
  return program;
}

/** The one place that catches errors and chooses the exit code. */
export async function main(argv: string[]): Promise<number> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once("SIGINT", onSigint);
  const program = buildProgram(abort.signal);
  const verbose = argv.includes("-v") || argv.includes("--verbose");
  const out = createOutput({ verbose, color: !argv.includes("--no-color") });
  try {
    await program.parseAsync(withoutHelpForUnknownCommand(program, argv), { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (caught) {
    // After Ctrl-C, whatever failed did so because np closed its connections: say that, not the symptom.
    const err = abort.signal.aborted && !(caught instanceof Interrupted) ? new Interrupted() : caught;
    return reportError(err, out, verbose, process.stderr);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Runs np with these arguments and sets the process's exit code (the entry point, main.ts, calls it). */
export async function runCli(argv: string[]): Promise<void> {
  process.exitCode = await main(argv);
}
