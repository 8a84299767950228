import { type LoadedApp, parseApp } from "../../src/app/index.js";
import { InputError } from "../../src/errors.js";

/** np.yaml texts and helpers shared by the app tests. */

export const DOCKER_APP = `name: web
image: ghcr.io/example/web:1.2.3
port: 8080
count: 2
`;

export const EXEC_APP = `name: web-exec
command: /opt/apps/web/bin/web
args: ["--listen", "\${NOMAD_IP_http}:\${NOMAD_PORT_http}"]
count: 2
`;

/** Parses np.yaml text (as np.yaml) with `env` as the deployer's environment. */
export function load(text: string, env: NodeJS.ProcessEnv = {}): LoadedApp {
  return parseApp(text, "np.yaml", env);
}

/** The problems np reports for `text`, as printed (`np.yaml:L:C path: message`); [] when it is valid. */
export function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    load(text, env);
    return [];
  } catch (err) {
    if (err instanceof InputError) return err.problems;
    throw err;
  }
}
