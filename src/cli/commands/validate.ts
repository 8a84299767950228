import path from "node:path";
import type { Command } from "commander";
import { InputError } from "../../errors.js";
import { describeInventory, type HostLookup, loadInventory } from "../../inventory/index.js";
import { type CommandContext, contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np validate`: check the inventory without touching any host. */
export const registerValidate: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("validate")
    .description("check the inventory (-i FILE, $NP_INVENTORY or ./inventory.yaml) without touching any host")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      "after",
      "\nPrints every problem at once as FILE:LINE:COL key: message.\n" +
        'With --json prints { "valid", "problems", "warnings" }.\n' +
        "Exit codes: 0 valid, 2 invalid or not found.",
    )
    .action(async (_opts, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      const report = await validateInventory(displayPath(ctx), process.env);
      printValidation(ctx, report);
    });
};

/** The outcome of validating an inventory file. */
export interface ValidationReport {
  file: string;
  valid: boolean;
  /** `FILE:LINE:COL path: message` lines (or the one reason the file could not be read). */
  problems: string[];
  warnings: string[];
  /** `5 hosts: 3 servers, …` when valid. */
  summary?: string;
  /** The error to raise when invalid (its message, problems and hint). */
  error?: InputError;
}

/** Loads and checks the inventory at `file`; never throws for an invalid inventory. */
export async function validateInventory(
  file: string,
  env: NodeJS.ProcessEnv,
  lookup?: HostLookup,
): Promise<ValidationReport> {
  try {
    const { inventory, warnings } = await loadInventory(file, env, lookup ? { lookup } : {});
    return { file, valid: true, problems: [], warnings, summary: describeInventory(inventory) };
  } catch (err) {
    if (!(err instanceof InputError)) throw err;
    const problems = err.problems.length > 0 ? err.problems : [err.message];
    return { file, valid: false, problems, warnings: [], error: err };
  }
}

/** Prints a report; an invalid inventory exits 2 (with --json, after printing the JSON document). */
export function printValidation(ctx: CommandContext, report: ValidationReport): void {
  if (ctx.out.json) {
    ctx.out.data({ valid: report.valid, problems: report.problems, warnings: report.warnings });
    if (!report.valid) process.exitCode = 2;
    return;
  }
  if (report.error) throw report.error;
  ctx.out.info(`${report.file}: valid — ${report.summary}`);
  for (const w of report.warnings) ctx.out.warn(w);
}

/** The inventory's path as the user would write it: relative when it is under the current folder. */
export function displayPath(ctx: CommandContext): string {
  const relative = path.relative(ctx.cwd, ctx.inventoryPath);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)
    ? relative
    : ctx.inventoryPath;
}
