import type { InputError } from "../errors.js";
import { problemsError as configProblemsError, formatProblems, withoutPaths } from "../yaml-config/format.js";
import { readConfigText } from "../yaml-config/read-config.js";
import { analyzeInventory } from "./analyze.js";
import { checkResolvable, type HostLookup, systemLookup } from "./resolve-addresses.js";
import type { Inventory } from "./types.js";

/** A valid inventory and the warnings to print about it. */
export interface LoadedInventory {
  inventory: Inventory;
  warnings: string[];
}

/**
 * Parses and validates inventory text without touching the network (host names are not resolved).
 * `file` names the file in messages and anchors relative paths. Throws InputError listing every problem.
 */
export function parseInventory(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedInventory {
  const a = analyzeInventory(text, file, env);
  if (!a.inventory) throw problemsError(file, formatProblems(a.source, file, a.problems));
  return { inventory: a.inventory, warnings: a.warnings };
}

/**
 * Reads, validates and normalizes the inventory at `file` (relative to the current folder, or absolute), and
 * checks that its host names resolve. Throws InputError listing every problem at once.
 */
export async function loadInventory(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { lookup?: HostLookup } = {},
): Promise<LoadedInventory> {
  const text = await readInventoryText(file);
  const a = analyzeInventory(text, file, env);
  const unresolved =
    a.raw === undefined ? [] : await checkResolvable(a.raw, options.lookup ?? systemLookup());
  const problems = [...a.problems, ...withoutPaths(unresolved, a.problems)];
  if (problems.length > 0 || !a.inventory)
    throw problemsError(file, formatProblems(a.source, file, problems));
  return { inventory: a.inventory, warnings: a.warnings };
}

function readInventoryText(file: string): Promise<string> {
  return readConfigText(file, { noun: "inventory file", init: "np init", flag: "-i FILE" });
}

function problemsError(file: string, problems: string[]): InputError {
  return configProblemsError(file, problems, "fix them and run `np validate` to check again");
}
