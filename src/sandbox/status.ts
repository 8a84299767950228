import type { Output } from "../output/port.js";
import { checkSandboxName, DEFAULT_SANDBOX_HOME, nodePaths, sandboxPaths } from "./paths.js";
import { nodeProcesses } from "./processes.js";
import { readState } from "./state.js";

/** One node as `np sandbox status` reports it. */
export interface NodeStatus {
  name: string;
  address: string;
  roles: string[];
  small: boolean;
  running: boolean;
  /** running; stopped; or orphaned: the container runs but its systemd-nspawn was killed (`up` restarts it). */
  state: "running" | "stopped" | "orphaned";
  /** PID of its systemd-nspawn, when running. */
  pid?: number;
}

export interface SandboxStatus {
  name: string;
  exists: boolean;
  bridge?: string;
  subnet?: string;
  keyFile?: string;
  inventoryFile?: string;
  nodes: NodeStatus[];
}

/** Reads a sandbox's state and checks which nodes actually run (from the host's processes, not from state). */
export async function sandboxStatus(
  name: string,
  home: string = DEFAULT_SANDBOX_HOME,
): Promise<SandboxStatus> {
  checkSandboxName(name);
  const paths = sandboxPaths(name, home);
  const state = await readState(paths);
  if (!state) return { name, exists: false, nodes: [] };
  const nodes = await Promise.all(
    state.nodes.map(async (n): Promise<NodeStatus> => {
      const procs = await nodeProcesses(nodePaths(paths, n.name));
      const nspawn = procs.find((p) => p.kind === "nspawn");
      return {
        name: n.name,
        address: n.address,
        roles: n.roles,
        small: n.small,
        running: nspawn !== undefined,
        state: nspawn ? "running" : procs.length > 0 ? "orphaned" : "stopped",
        ...(nspawn ? { pid: nspawn.pid } : {}),
      };
    }),
  );
  return {
    name,
    exists: true,
    bridge: state.bridge,
    subnet: state.subnet,
    keyFile: state.keyFile,
    inventoryFile: state.inventoryFile,
    nodes,
  };
}

/** Prints a status as a table (or JSON with --json). */
export function printStatus(status: SandboxStatus, out: Output): void {
  if (out.json) {
    out.data(status);
    return;
  }
  if (!status.exists) {
    out.info(`sandbox ${status.name} does not exist (create it with: np sandbox up)`);
    return;
  }
  const running = status.nodes.filter((n) => n.running).length;
  out.info(
    `sandbox ${status.name}: ${running}/${status.nodes.length} nodes running on ${status.bridge} (${status.subnet})`,
  );
  const rows = status.nodes.map((n) => [
    n.name,
    n.address,
    n.roles.join(",") + (n.small ? " (small)" : ""),
    n.state === "running" ? `running (pid ${n.pid})` : n.state,
  ]);
  const widths = [0, 1, 2].map((c) => Math.max(...rows.map((r) => (r[c] ?? "").length), 4));
  for (const r of [["NODE", "ADDRESS", "ROLES", "STATE"], ...rows])
    out.info(r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c] ?? 0) : cell)).join("  "));
  if (status.inventoryFile) out.info(`inventory: ${status.inventoryFile}`);
  out.info(`ssh key:   ${status.keyFile}`);
}
