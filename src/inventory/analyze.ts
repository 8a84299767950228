import { analyzeConfig } from "../yaml-config/analyze.js";
import type { Problem } from "../yaml-config/problem.js";
import type { YamlSource } from "../yaml-config/yaml-source.js";
import { normalizeInventory } from "./normalize.js";
import { checkRules } from "./rules.js";
import { overrideWarnings } from "./rules-sections.js";
import { inventorySchema } from "./schema.js";
import type { Inventory } from "./types.js";

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
  const a = analyzeConfig(text, env, {
    schema: inventorySchema,
    rules: checkRules,
    emptyMessage: "the inventory is empty: run `np init` for a commented example",
  });
  if (!a.data) return { source: a.source, raw: a.raw, problems: a.problems, warnings: [] };
  return {
    source: a.source,
    raw: a.raw,
    problems: a.problems,
    warnings: overrideWarnings(a.raw),
    inventory: normalizeInventory(a.data, file, env),
  };
}
