import path from "node:path";
import { InputError } from "../errors.js";
import { machineName } from "./nspawn-argv.js";

/** Where np keeps sandboxes and the cached base root; every function takes it so tests can point elsewhere. */
export const DEFAULT_SANDBOX_HOME = "/var/lib/np/sandbox";

/** The Debian suite the base root is built from. */
export const BASE_SUITE = "bookworm";

/** The default sandbox name. */
export const DEFAULT_SANDBOX_NAME = "np";

/** Paths of one sandbox's state. */
export interface SandboxPaths {
  home: string;
  name: string;
  dir: string;
  stateFile: string;
  lockFile: string;
  keyFile: string;
  nodesDir: string;
  /** The Linux bridge: `np-<name>` (names are at most 12 characters, interface names 15). */
  bridge: string;
}

/** Paths of one node: its overlay dirs and its console log; and its machine name, which names its cgroups. */
export interface NodePaths {
  machine: string;
  dir: string;
  upper: string;
  work: string;
  merged: string;
  log: string;
}

/** Refuses sandbox names that would not make a valid bridge, host or directory name (exit 2). */
export function checkSandboxName(name: string): void {
  if (!/^[a-z][a-z0-9-]{0,11}$/.test(name) || name.endsWith("-") || name.startsWith("base-"))
    throw new InputError(
      `--name ${name}: a sandbox name is 1-12 lowercase letters, digits and dashes, starting with a letter`,
      [],
      "the bridge is called np-<name>, and Linux interface names are at most 15 characters",
    );
}

/** The paths of sandbox `name` under `home`. */
export function sandboxPaths(name: string, home: string = DEFAULT_SANDBOX_HOME): SandboxPaths {
  const dir = path.join(home, name);
  return {
    home,
    name,
    dir,
    stateFile: path.join(dir, "state.json"),
    lockFile: path.join(dir, "lock"),
    keyFile: path.join(dir, "id_ed25519"),
    nodesDir: path.join(dir, "nodes"),
    bridge: `np-${name}`,
  };
}

/** The paths of one node of a sandbox. */
export function nodePaths(sandbox: SandboxPaths, node: string): NodePaths {
  const dir = path.join(sandbox.nodesDir, node);
  return {
    machine: machineName(sandbox.name, node),
    dir,
    upper: path.join(dir, "upper"),
    work: path.join(dir, "work"),
    merged: path.join(dir, "root"),
    log: path.join(dir, "console.log"),
  };
}

/**
 * What the base root holds, as a number: raised whenever its packages or customisation change, so a cached base
 * of an older np is never used (it is built anew beside the old one, which running sandboxes may still sit on).
 */
export const BASE_REVISION = 2;

/** The cached base root every node's overlay sits on. */
export function baseRootDir(home: string = DEFAULT_SANDBOX_HOME): string {
  return path.join(home, `base-${BASE_SUITE}-r${BASE_REVISION}`);
}
