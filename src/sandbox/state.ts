import { mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { OperationError } from "../errors.js";
import type { RoleName } from "../preflight/minimums.js";
import { type SandboxPaths, sandboxPaths } from "./paths.js";

/** One node as recorded in state.json. */
export interface NodeState {
  name: string;
  machine: string;
  address: string;
  roles: RoleName[];
  small: boolean;
  /** PID of its systemd-nspawn process when np last started it. */
  pid?: number;
}

/** What `np sandbox up` recorded: enough for `status` and `down` to work without flags. */
export interface SandboxState {
  version: 1;
  name: string;
  bridge: string;
  subnet: string;
  gateway: string;
  keyFile: string;
  inventoryFile?: string;
  nodes: NodeState[];
}

/** Reads a sandbox's state.json; undefined when the sandbox does not exist. */
export async function readState(paths: SandboxPaths): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(paths.stateFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as SandboxState;
  } catch (err) {
    throw new OperationError(
      `${paths.stateFile}: not valid JSON (${(err as Error).message})`,
      `run np sandbox down --name ${paths.name} to clean up`,
    );
  }
}

/** Writes state.json atomically (temp file + rename), so a crash never leaves half a file. */
export async function writeState(paths: SandboxPaths, state: SandboxState): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, paths.stateFile);
}

/** The names of every sandbox that has a state directory under `home`. */
export async function listSandboxes(home: string): Promise<string[]> {
  const entries = await readdir(home, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith("base-")).map((e) => e.name);
}

/** Whether a process with this PID exists (EPERM: it exists but is another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the sandbox's lock so two np commands never work on one sandbox at once; a lock left by a dead process
 * is taken over. Returns the function that releases it.
 */
export async function lockSandbox(paths: SandboxPaths): Promise<() => Promise<void>> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(paths.lockFile, "wx", 0o600);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return () => rm(paths.lockFile, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number((await readFile(paths.lockFile, "utf8").catch(() => "")).trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder))
        throw new OperationError(
          `sandbox ${paths.name} is busy: another np sandbox command (pid ${holder}) is working on it`,
          "wait for it to finish",
        );
      await rm(paths.lockFile, { force: true });
    }
  }
  throw new OperationError(`could not lock sandbox ${paths.name} (${paths.lockFile})`);
}

/** The paths of every other sandbox under `home`. */
export async function otherSandboxes(paths: SandboxPaths): Promise<SandboxPaths[]> {
  const names = await listSandboxes(paths.home);
  return names.filter((n) => n !== paths.name).map((n) => sandboxPaths(n, paths.home));
}
