import { InputError } from "../errors.js";
import { counted } from "../output/counted.js";
import type { Problem } from "./problem.js";
import { formatProblem, type YamlSource } from "./yaml-source.js";

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

/** The InputError (exit 2) that lists every problem of a config file, one per line. */
export function problemsError(file: string, problems: string[], hint: string): InputError {
  const count = `${counted(problems.length, "problem")}`;
  return new InputError(`${file} has ${count}`, problems, hint);
}
