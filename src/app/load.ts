import { analyzeConfig } from "../yaml-config/analyze.js";
import { formatProblems, problemsError } from "../yaml-config/format.js";
import type { PathSegment, Problem } from "../yaml-config/problem.js";
import { readConfigText } from "../yaml-config/read-config.js";
import { locate } from "../yaml-config/yaml-source.js";
import { normalizeApp } from "./normalize.js";
import { isNomadVariable } from "./patterns.js";
import { checkAppRules } from "./rules.js";
import { appSchema } from "./schema.js";
import type { AppSpec } from "./types.js";
import { appWarnings } from "./warnings.js";

/** A valid np.yaml and the warnings to print about it (`FILE:LINE:COL path: message`). */
export interface LoadedApp {
  app: AppSpec;
  warnings: string[];
}

/** np.yaml's `env` values: kept as written and resolved at deploy time (see resolveAppEnv). */
const isEnvValue = (path: readonly PathSegment[]) => path.length === 2 && path[0] === "env";

/**
 * Parses and validates np.yaml text. `${VAR}` in values other than `env` is taken from `env` now, as in the
 * inventory; Nomad's own variables (`${NOMAD_PORT_http}`, `${node.unique.name}`, …) are left for Nomad.
 * `file` names the file in messages. Throws InputError (exit 2) listing every problem at once.
 */
export function parseApp(text: string, file: string, env: NodeJS.ProcessEnv = process.env): LoadedApp {
  const a = analyzeConfig(text, env, {
    schema: appSchema,
    rules: checkAppRules,
    emptyMessage: "the file is empty: run `np init app` for a commented np.yaml",
    substitution: { passThrough: isNomadVariable, skip: isEnvValue },
  });
  if (!a.data)
    throw problemsError(
      file,
      formatProblems(a.source, file, a.problems.map(withoutSecretValue)),
      "fix them and run `np validate` to check again",
    );
  const where = (path: PathSegment[]) => {
    const { line, col } = locate(a.source, { path, atKey: false, message: "" });
    return `${file}:${line}:${col}`;
  };
  return {
    app: normalizeApp(a.data, file, where),
    warnings: formatProblems(a.source, file, appWarnings(a.raw)),
  };
}

/** Reads and validates the np.yaml at `file`. Throws InputError listing every problem at once. */
export async function loadApp(file: string, env: NodeJS.ProcessEnv = process.env): Promise<LoadedApp> {
  const text = await readConfigText(file, { noun: "app file", init: "np init app", flag: "-f FILE" });
  return parseApp(text, file, env);
}

/** A schema problem at an env value would quote the value ("got the number 1234"): env values are secret. */
function withoutSecretValue(problem: Problem): Problem {
  if (!isEnvValue(problem.path) || problem.atKey) return problem;
  if (!/^expected /.test(problem.message)) return problem;
  return { ...problem, message: "must be text: put the value in quotes" };
}
