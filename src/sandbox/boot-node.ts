import type { Output } from "../output/port.js";
import { configureNodeRoot, mountNodeRoot, type NodeNetwork } from "./node-root.js";
import { assertStillRunning, startNode, stopNode } from "./nspawn.js";
import type { NodeSpec } from "./nspawn-argv.js";
import { nodePaths, type SandboxPaths } from "./paths.js";
import { nodeProcesses } from "./processes.js";
import { waitForSsh, waitForSystem } from "./ready.js";
import type { Tools } from "./requirements.js";

export interface BootContext {
  tools: Tools;
  paths: SandboxPaths;
  base: string;
  net: NodeNetwork;
  publicKey: string;
  out: Output;
  signal?: AbortSignal;
}

/**
 * Makes sure a node runs with `spec`: a running node with the same spec is kept as it is; one whose spec changed
 * is stopped and restarted; a stopped one is started. Returns its systemd-nspawn PID.
 */
export async function ensureNodeRunning(
  ctx: BootContext,
  spec: NodeSpec,
  previous?: NodeSpec,
): Promise<number> {
  const node = nodePaths(ctx.paths, spec.name);
  const nspawn = (await nodeProcesses(node)).find((p) => p.kind === "nspawn");
  const unchanged =
    previous !== undefined &&
    previous.address === spec.address &&
    previous.small === spec.small &&
    previous.machine === spec.machine;
  if (nspawn && unchanged) {
    ctx.out.host(spec.name, `already running (pid ${nspawn.pid})`);
    return nspawn.pid;
  }
  if (nspawn) {
    ctx.out.host(spec.name, "settings changed: restarting");
    await stopNode(node);
  } else {
    // A container left without its nspawn (killed from outside) cannot be adopted: stop it first.
    await stopNode(node);
  }
  await mountNodeRoot(ctx.tools, ctx.base, node);
  await configureNodeRoot(node.merged, spec, ctx.net, ctx.publicKey);
  const pid = await startNode(ctx.tools.nspawn, node, ctx.paths.bridge, spec);
  ctx.out.host(
    spec.name,
    `starting at ${spec.address}${spec.small ? " (small: 1 CPU, 128 MB)" : ""} (pid ${pid})`,
  );
  return pid;
}

/** Waits until the node's sshd answers and systemd has finished booting; prints one line per milestone. */
export async function waitUntilReady(
  ctx: BootContext,
  spec: NodeSpec,
  pid: number,
  timeoutMs: number,
): Promise<string> {
  const node = nodePaths(ctx.paths, spec.name);
  const started = Date.now();
  const opts = {
    timeoutMs,
    signal: ctx.signal,
    checkAlive: () => assertStillRunning(spec.name, node, pid),
  };
  await waitForSsh(spec.name, spec.address, opts);
  const system = await waitForSystem(ctx.tools.nsenter, spec.name, node, opts);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  ctx.out.host(spec.name, `ready: sshd answers at ${spec.address}:22, systemd ${system} (${seconds}s)`);
  return system;
}
