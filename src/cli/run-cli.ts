import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { InputError, Interrupted, NpError } from "../errors.js";
import { commands } from "./commands/index.js";
import { createOutput } from "./output.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/** Builds the whole command tree; exported so tests can inspect it without spawning a process. */
export function buildProgram(signal: AbortSignal): Command {
  const program = new Command("np")
    .description("Turn bare Linux VMs into a HashiStack cluster (Nomad, Consul, Traefik, OpenObserve).")
    .version(pkg.version, "--version", "print np's version")
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
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (caught) {
    // After Ctrl-C, whatever failed did so because np closed its connections: say that, not the symptom.
    const err = abort.signal.aborted && !(caught instanceof Interrupted) ? new Interrupted() : caught;
    if (err instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      if (err.exitCode === 0) return 0;
      out.error(err.message.replace(/^error: /, ""));
      process.stderr.write("run `np --help` (or `np <command> --help`) for usage\n");
      return 2;
    }
    if (err instanceof NpError) {
      out.error(err.message);
      if (err instanceof InputError) for (const p of err.problems) process.stderr.write(`  ${p}\n`);
      if (err.hint) process.stderr.write(`${out.paint("dim", `hint: ${err.hint}`)}\n`);
      if (verbose && err.stack) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    out.error(`internal error: ${e.message}`);
    process.stderr.write(
      verbose ? `${e.stack}\n` : "run again with --verbose for the stack trace, and please report it\n",
    );
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}

/** Runs np with these arguments and sets the process's exit code (the entry point, main.ts, calls it). */
export async function runCli(argv: string[]): Promise<void> {
  process.exitCode = await main(argv);
}
