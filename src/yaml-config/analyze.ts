import type { z } from "zod";
import { type SubstitutionOptions, substituteInDocument } from "./env-substitution.js";
import { withoutPaths } from "./format.js";
import type { Problem } from "./problem.js";
import { problemsFromIssues } from "./schema-issues.js";
import { parseYamlSource, type YamlSource } from "./yaml-source.js";

/** What one kind of config file is: its schema, its cross-field rules, how it uses variables. */
export interface ConfigKind<S extends z.ZodType> {
  schema: S;
  /** Rules involving several keys; they read the parsed YAML leniently, so they run beside schema problems. */
  rules: (raw: unknown) => Problem[];
  /** Said when the file holds nothing. */
  emptyMessage: string;
  substitution?: SubstitutionOptions;
}

/** Everything known about a config text without touching the network. */
export interface ConfigAnalysis<T> {
  source: YamlSource;
  /** The parsed YAML after variable substitution; undefined when the YAML is malformed. */
  raw: unknown;
  problems: Problem[];
  /** The schema's output; set only when there are no problems. */
  data?: T;
}

/** YAML → variable substitution → schema → cross-field rules, collecting every problem at once. */
export function analyzeConfig<S extends z.ZodType>(
  text: string,
  env: NodeJS.ProcessEnv,
  kind: ConfigKind<S>,
): ConfigAnalysis<z.output<S>> {
  const source = parseYamlSource(text);
  if (source.malformed) return { source, raw: undefined, problems: source.problems };
  const envProblems = substituteInDocument(source.doc, env, kind.substitution);
  let raw: unknown;
  try {
    raw = source.doc.toJS();
  } catch (err) {
    const message = `invalid YAML: ${err instanceof Error ? err.message : String(err)}`;
    return { source, raw: undefined, problems: [{ path: [], offset: 0, message }] };
  }
  if (raw === null || raw === undefined)
    return { source, raw, problems: [{ path: [], offset: 0, message: kind.emptyMessage }] };
  const parsed = kind.schema.safeParse(raw, { reportInput: true });
  const checked = [
    ...(parsed.success ? [] : problemsFromIssues(parsed.error.issues, kind.schema)),
    ...kind.rules(raw),
  ];
  const problems = [...source.problems, ...envProblems, ...withoutPaths(checked, envProblems)];
  if (problems.length > 0 || !parsed.success) return { source, raw, problems };
  return { source, raw, problems, data: parsed.data };
}
