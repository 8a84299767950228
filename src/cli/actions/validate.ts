import { InputError } from "../../errors.js";
import { describeInventory, type HostLookup, loadInventory } from "../../inventory/index.js";
import { type CommandContext, displayPath } from "../context.js";

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

/** `np validate`: validates the inventory and prints the report. */
export async function validate(ctx: CommandContext): Promise<void> {
  printValidation(ctx, await validateInventory(displayPath(ctx), process.env));
}
