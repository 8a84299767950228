import path from "node:path";
import { HostError, HostsFailed, InputError, Interrupted } from "../errors.js";
import type { Output } from "../output/port.js";
import type { RoleName } from "../preflight/minimums.js";
import { DEFAULT_SUBNET, gatewayAddress, nodeAddress, parseSubnet } from "./addresses.js";
import { ensureBaseRoot } from "./base-root.js";
import { type BootContext, ensureNodeRunning, waitUntilReady } from "./boot-node.js";
import { checkSubnetIsFree, ensureBridge } from "./bridge.js";
import { nodeDirs, removeNode } from "./down.js";
import { pinSandboxHostKeys } from "./host-keys.js";
import { ensureInotifyInstances } from "./inotify.js";
import { shippedSchemaPath, writeInventory } from "./inventory-file.js";
import { ensureSandboxKey } from "./key.js";
import { checkNodeCount, DEFAULT_NODES, MIN_NODES, roleLayout } from "./layout.js";
import { machineName, type NodeSpec } from "./nspawn-argv.js";
import {
  BASE_SUITE,
  checkSandboxName,
  DEFAULT_SANDBOX_HOME,
  nodePaths,
  type SandboxPaths,
  sandboxPaths,
} from "./paths.js";
import { nodeProcesses } from "./processes.js";
import { requireTools, type Tools } from "./requirements.js";
import {
  lockSandbox,
  type NodeState,
  otherSandboxes,
  readState,
  type SandboxState,
  writeState,
} from "./state.js";

export interface SandboxUpOptions {
  name: string;
  /** Left out: the sandbox's current count and subnet (or the defaults for a new sandbox). */
  nodes?: number;
  /** The nodes that are small in this run: a node left out is (or goes back to) full size. */
  small?: string[];
  subnet?: string;
  /** Absolute path of the inventory to write. */
  inventoryFile: string;
  rebuild?: boolean;
  home?: string;
  out: Output;
  signal?: AbortSignal;
  /** How long one node may take to boot. */
  bootTimeoutMs?: number;
}

export type SandboxUpResult = SandboxState & { inventoryFile: string };

/** Resolves flags against the sandbox's current state into the node specs and roles to converge to. */
function desiredNodes(opts: SandboxUpOptions, previous: SandboxState | undefined, paths: SandboxPaths) {
  const count = opts.nodes ?? previous?.nodes.length ?? DEFAULT_NODES;
  checkNodeCount(count);
  const subnet = parseSubnet(opts.subnet ?? previous?.subnet ?? DEFAULT_SUBNET, count);
  if (previous && previous.subnet !== subnet.cidr)
    throw new InputError(
      `sandbox ${paths.name} uses subnet ${previous.subnet}; it cannot move to ${subnet.cidr} while it exists`,
      [],
      `run np sandbox down --name ${paths.name} first, or use another --name`,
    );
  const layout = roleLayout(count);
  const names = layout.map((n) => n.name);
  const small = opts.small ?? [];
  const unknown = small.filter((s) => !names.includes(s));
  if (unknown.length > 0)
    throw new InputError(
      `--small: no such node: ${unknown.join(", ")}`,
      [],
      `nodes are ${names[0]}..${names.at(-1)}`,
    );
  const nodes: (NodeSpec & { roles: RoleName[] })[] = layout.map((n, i) => ({
    name: n.name,
    machine: machineName(paths.name, n.name),
    address: nodeAddress(subnet, i + 1),
    small: small.includes(n.name),
    roles: n.roles,
  }));
  return { subnet, nodes };
}

/** The checks that need no host access, so bad flags are refused (exit 2) before anything else. */
export function checkFlags(opts: Pick<SandboxUpOptions, "name" | "nodes" | "subnet" | "small">): void {
  checkSandboxName(opts.name);
  if (opts.nodes !== undefined) checkNodeCount(opts.nodes);
  if (opts.subnet !== undefined) parseSubnet(opts.subnet, opts.nodes ?? MIN_NODES);
  const bad = (opts.small ?? []).filter((s) => !/^node\d+$/.test(s));
  if (bad.length > 0)
    throw new InputError(`--small: no such node: ${bad.join(", ")}`, [], "nodes are named node1, node2, …");
}

/** --rebuild replaces the base under every node: refuse while another sandbox runs on it. */
async function assertNoOtherSandboxRuns(paths: SandboxPaths): Promise<void> {
  const busy: string[] = [];
  for (const other of await otherSandboxes(paths)) {
    for (const node of (await readState(other))?.nodes ?? []) {
      if ((await nodeProcesses(nodePaths(other, node.name))).length > 0)
        busy.push(`${other.name}/${node.name}`);
    }
  }
  if (busy.length > 0)
    throw new InputError(
      "--rebuild replaces the base root that other sandboxes' nodes run on",
      busy.map((b) => `running: ${b}`),
      "stop them first: np sandbox down --name <name>",
    );
}

async function removeUnwantedNodes(
  tools: Tools,
  paths: SandboxPaths,
  keep: string[],
  out: Output,
): Promise<void> {
  for (const name of await nodeDirs(paths)) {
    if (keep.includes(name)) continue;
    await removeNode(tools, paths, name);
    out.host(name, "removed (not in the sandbox any more)");
  }
}

/**
 * `np sandbox up`: converges sandbox `name` to the requested nodes (building the cached base root first when
 * needed), waits until every node's sshd answers and systemd has booted, and writes the inventory.
 */
export async function sandboxUp(opts: SandboxUpOptions): Promise<SandboxUpResult> {
  const { out } = opts;
  checkFlags(opts);
  const tools = requireTools();
  const paths = sandboxPaths(opts.name, opts.home ?? DEFAULT_SANDBOX_HOME);
  const { subnet, nodes } = desiredNodes(opts, await readState(paths), paths);
  if (opts.rebuild) await assertNoOtherSandboxRuns(paths);
  await checkSubnetIsFree(tools.ip, subnet, paths.bridge);
  const release = await lockSandbox(paths);
  try {
    const raised = await ensureInotifyInstances();
    if (raised) out.info(`sandbox ${opts.name}: ${raised}`);
    const previous = await readState(paths);
    if (opts.rebuild) await removeUnwantedNodes(tools, paths, [], out);
    const base = await ensureBaseRoot(tools, paths.home, {
      rebuild: opts.rebuild,
      signal: opts.signal,
      onBuild: (log) =>
        out.info(`building the base root (debootstrap ${BASE_SUITE}, about a minute; log: ${log})`),
      onWait: (holder) => out.info(`waiting for another np (pid ${holder}) that is building the base root`),
    });
    const gateway = gatewayAddress(subnet);
    await ensureBridge(tools.ip, paths.bridge, gateway, subnet);
    const publicKey = await ensureSandboxKey(paths.keyFile, `np-sandbox-${opts.name}`);
    await removeUnwantedNodes(
      tools,
      paths,
      nodes.map((n) => n.name),
      out,
    );
    out.info(`sandbox ${opts.name}: ${nodes.length} nodes on bridge ${paths.bridge} (${subnet.cidr})`);

    const ctx: BootContext = {
      tools,
      paths,
      base,
      net: { prefix: subnet.prefix, gateway },
      publicKey,
      out,
      signal: opts.signal,
    };
    const prevOf = (name: string) =>
      opts.rebuild ? undefined : previous?.nodes.find((n) => n.name === name);
    const started = await Promise.allSettled(
      nodes.map((spec) => ensureNodeRunning(ctx, spec, prevOf(spec.name))),
    );
    const state: SandboxState = {
      version: 1,
      name: opts.name,
      bridge: paths.bridge,
      subnet: subnet.cidr,
      gateway,
      keyFile: paths.keyFile,
      inventoryFile: previous?.inventoryFile,
      nodes: nodes.map((spec, i): NodeState => {
        const r = started[i];
        return { ...spec, ...(r?.status === "fulfilled" ? { pid: r.value } : {}) };
      }),
    };
    // Recorded before waiting, so `down` finds every started node even if the wait is interrupted.
    await writeState(paths, state);
    throwIfAnyFailed(nodes, started, opts.signal);

    const timeout = opts.bootTimeoutMs ?? 180_000;
    const ready = await Promise.allSettled(
      nodes.map((spec, i) => waitUntilReady(ctx, spec, state.nodes[i]?.pid as number, timeout)),
    );
    throwIfAnyFailed(nodes, ready, opts.signal);
    ready.forEach((r, i) => {
      const system = r.status === "fulfilled" ? r.value : "";
      if (system !== "running")
        out.warn(`${nodes[i]?.name}: systemd reports "${system}" (see systemctl --failed)`);
    });

    const pinned = await pinSandboxHostKeys(
      path.join(path.dirname(opts.inventoryFile), ".np"),
      nodes.map((n) => ({ address: n.address, root: nodePaths(paths, n.name).merged })),
    );
    out.debug(`pinned the nodes' host keys in ${pinned}`);
    const kept = await writeInventory(opts.inventoryFile, {
      sandbox: opts.name,
      bridge: paths.bridge,
      subnet: subnet.cidr,
      keyFile: paths.keyFile,
      hosts: nodes,
      small: nodes.filter((n) => n.small).map((n) => n.name),
      schemaPath: shippedSchemaPath(),
    });
    const result = { ...state, inventoryFile: opts.inventoryFile };
    await writeState(paths, result);
    out.info(
      `inventory written to ${opts.inventoryFile}${kept.length > 0 ? ` (kept its ${kept.join(", ")} section${kept.length > 1 ? "s" : ""})` : ""}`,
    );
    out.info(`try: np -i ${opts.inventoryFile} check    (ssh root@${nodes[0]?.address} -i ${paths.keyFile})`);
    return result;
  } finally {
    await release();
  }
}

function throwIfAnyFailed(
  nodes: readonly NodeSpec[],
  results: readonly PromiseSettledResult<unknown>[],
  signal?: AbortSignal,
): void {
  if (signal?.aborted) throw new Interrupted();
  const failures = results.flatMap((r, i) => {
    if (r.status === "fulfilled") return [];
    const err = r.reason as Error;
    return [
      err instanceof HostError ? err : new HostError(nodes[i]?.name ?? "?", err?.message ?? String(err)),
    ];
  });
  if (failures.length > 0) throw new HostsFailed(failures);
}
