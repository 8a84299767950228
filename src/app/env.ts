import { InputError } from "../errors.js";
import { substituteVariables } from "../yaml-config/env-substitution.js";
import { formatPath } from "../yaml-config/problem.js";
import { isNomadVariable } from "./patterns.js";
import { Secret } from "./secret.js";
import type { AppSpec, SecretEnv } from "./types.js";

/**
 * The app's environment for this deploy: each np.yaml env value with `${VAR}` taken from the deployer's
 * environment (`${VAR:-default}`, `$$` as in the inventory; Nomad's own variables left for Nomad). Every value
 * stays a Secret. Throws InputError (exit 2) naming each variable that is not set, at its line, never a value.
 */
export function resolveAppEnv(app: AppSpec, env: NodeJS.ProcessEnv = process.env): SecretEnv {
  const resolved: SecretEnv = {};
  const problems: string[] = [];
  for (const [key, value] of Object.entries(app.env)) {
    const r = substituteVariables(value.template.reveal(), env, { passThrough: isNomadVariable });
    // The only problems left at deploy time are unset variables: syntax was checked when np.yaml was loaded.
    for (const message of r.problems)
      problems.push(`${value.location} ${formatPath(["env", key])}: ${message}`);
    resolved[key] = new Secret(r.value);
  }
  if (problems.length > 0) {
    const count = problems.length === 1 ? "a variable" : `${problems.length} variables`;
    throw new InputError(
      `${app.file}: the app's env needs ${count} that ${problems.length === 1 ? "is" : "are"} not set`,
      problems,
      "set them in the environment `np deploy` runs in (values are never printed)",
    );
  }
  return resolved;
}
