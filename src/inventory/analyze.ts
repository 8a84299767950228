import { substituteInDocument } from "./env-substitution.js";
import { normalizeInventory } from "./normalize.js";
import type { Problem } from "./problem.js";
import { checkRules } from "./rules.js";
import { overrideWarnings } from "./rules-sections.js";
import { inventorySchema } from "./schema.js";
import { problemsFromIssues } from "./schema-issues.js";
import type { Inventory } from "./types.js";
import { formatProblem, parseYamlSource, type YamlSource } from "./yaml-source.js";

/** Everything known about an inventory text without touching the network. */
export interface Analysis {
  source: YamlSource;
  /** The parsed YAML after variable substitution; undefined when the YAML is malformed. */
  raw: unknown;
  problems: Problem[];
  warnings: string[];
  /** Set when there are no problems. */
  inventory?: Inventory;
}

/** YAML → variable substitution → schema → cross-field rules → normalize, collecting every problem. */
export function analyzeInventory(text: string, file: string, env: NodeJS.ProcessEnv): Analysis {
  const source = parseYamlSource(text);
  if (source.malformed) return { source, raw: undefined, problems: source.problems, warnings: [] };
  const envProblems = substituteInDocument(source.doc, env);
  let raw: unknown;
  try {
    raw = source.doc.toJS();
  } catch (err) {
    const message = `invalid YAML: ${err instanceof Error ? err.message : String(err)}`;
    return { source, raw: undefined, problems: [{ path: [], offset: 0, message }], warnings: [] };
  }
  if (raw === null || raw === undefined) {
    const message = "the inventory is empty: run `np init` for a commented example";
    return { source, raw, problems: [{ path: [], offset: 0, message }], warnings: [] };
  }
  const parsed = inventorySchema.safeParse(raw, { reportInput: true });
  const checked = [
    ...(parsed.success ? [] : problemsFromIssues(parsed.error.issues, inventorySchema)),
    ...checkRules(raw),
  ];
  const problems = [...source.problems, ...envProblems, ...withoutPaths(checked, envProblems)];
  if (problems.length > 0 || !parsed.success) return { source, raw, problems, warnings: [] };
  return {
    source,
    raw,
    problems,
    warnings: overrideWarnings(raw),
    inventory: normalizeInventory(parsed.data, file, env),
  };
}

/** Drops problems at paths already reported: a value with an unset variable need not also be "invalid". */
export function withoutPaths(problems: Problem[], reported: Problem[]): Problem[] {
  const seen = new Set(reported.map((p) => JSON.stringify(p.path)));
  return problems.filter((p) => !seen.has(JSON.stringify(p.path)));
}

/** Problems as `FILE:LINE:COL path: message` lines, in the order they appear in the file. */
export function formatProblems(source: YamlSource, file: string, problems: Problem[]): string[] {
  return problems
    .map((p) => formatProblem(source, file, p))
    .sort((a, b) => a.offset - b.offset)
    .map((p) => p.text);
}
