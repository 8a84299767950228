import { readdir, rmdir } from "node:fs/promises";
import path from "node:path";
import type { Output } from "../output/port.js";
import { deleteBridge } from "./bridge.js";
import { removeTree } from "./mounts.js";
import { stopNode } from "./nspawn.js";
import { machineName } from "./nspawn-argv.js";
import {
  checkSandboxName,
  DEFAULT_SANDBOX_HOME,
  nodePaths,
  type SandboxPaths,
  sandboxPaths,
} from "./paths.js";
import { requireTools, type Tools } from "./requirements.js";
import { lockSandbox, readState } from "./state.js";

/**
 * Stops one node (clean power-off, killed after a timeout), unmounts its overlay and deletes its directory.
 * Returns how it stopped.
 */
export async function removeNode(tools: Tools, paths: SandboxPaths, node: string): Promise<string> {
  const np = nodePaths(paths, node);
  const how = await stopNode(np);
  await removeTree(tools.umount, np.dir);
  // systemd-nspawn leaves this (empty) directory behind when /run is not a tmpfs.
  await rmdir(path.join("/run/systemd/nspawn/propagate", machineName(paths.name, node))).catch(() => {});
  return how;
}

/** The node directories that exist on disk, whether or not state.json lists them. */
export async function nodeDirs(paths: SandboxPaths): Promise<string[]> {
  const entries = await readdir(paths.nodesDir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => e.name);
}

export interface SandboxDownOptions {
  name: string;
  home?: string;
  out: Output;
}

export interface SandboxDownResult {
  name: string;
  existed: boolean;
  nodes: { name: string; stopped: string }[];
  bridgeDeleted: boolean;
}

/**
 * Stops every node of a sandbox, unmounts and deletes their roots, deletes the bridge and the sandbox's state
 * (key included). The cached base root stays. Works from what is on disk, so a half-created sandbox is cleaned too.
 */
export async function sandboxDown(opts: SandboxDownOptions): Promise<SandboxDownResult> {
  checkSandboxName(opts.name);
  const tools = requireTools(["ip", "umount"]);
  const paths = sandboxPaths(opts.name, opts.home ?? DEFAULT_SANDBOX_HOME);
  const state = await readState(paths);
  const names = [...new Set([...(state?.nodes.map((n) => n.name) ?? []), ...(await nodeDirs(paths))])];
  const existed = state !== undefined || names.length > 0;
  const release = existed ? await lockSandbox(paths) : async () => {};
  try {
    const nodes = await Promise.all(
      names.map(async (name) => {
        const stopped = await removeNode(tools, paths, name);
        opts.out.host(name, stopped === "not-running" ? "removed (was not running)" : `${stopped}, removed`);
        return { name, stopped };
      }),
    );
    const bridgeDeleted = await deleteBridge(tools.ip, state?.bridge ?? paths.bridge);
    await removeTree(tools.umount, paths.dir);
    if (!existed && !bridgeDeleted) opts.out.info(`sandbox ${opts.name}: nothing to stop`);
    else
      opts.out.info(`sandbox ${opts.name}: down (${nodes.length} nodes removed; the base root stays cached)`);
    return { name: opts.name, existed, nodes, bridgeDeleted };
  } finally {
    await release();
  }
}
