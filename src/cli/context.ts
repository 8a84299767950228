import path from "node:path";
import type { Command } from "commander";
import type { Output } from "../output/port.js";
import { createOutput } from "./output.js";

/** Everything a command needs from the global flags, resolved once. */
export interface CommandContext {
  out: Output;
  /** Absolute path of the inventory: -i/--inventory, else NP_INVENTORY, else ./inventory.yaml. */
  inventoryPath: string;
  /** Whether the user passed -i or NP_INVENTORY (some commands only read an inventory when asked). */
  inventoryGiven: boolean;
  yes: boolean;
  cwd: string;
  /** Aborted on Ctrl-C: long work stops cleanly and closes its connections. */
  signal: AbortSignal;
}

export interface GlobalOptions {
  inventory?: string;
  json?: boolean;
  verbose?: boolean;
  color?: boolean;
  yes?: boolean;
}

export function contextFrom(command: Command, signal: AbortSignal): CommandContext {
  const opts = command.optsWithGlobals<GlobalOptions>();
  const cwd = process.cwd();
  const given = opts.inventory ?? process.env.NP_INVENTORY;
  return {
    out: createOutput({ json: opts.json, verbose: opts.verbose, color: opts.color }),
    inventoryPath: path.resolve(cwd, given && given !== "" ? given : "inventory.yaml"),
    inventoryGiven: Boolean(given),
    yes: Boolean(opts.yes),
    cwd,
    signal,
  };
}

/** The inventory's path as the user would write it: relative when it is under the current folder. */
export function displayPath(ctx: CommandContext): string {
  const relative = path.relative(ctx.cwd, ctx.inventoryPath);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative)
    ? relative
    : ctx.inventoryPath;
}
