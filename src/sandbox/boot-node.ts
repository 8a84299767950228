import type { Output } from "../output/port.js";
import { configureNodeRoot, mountNodeRoot, type NodeNetwork } from "./node-root.js";
import { assertStillRunning, startNode, stopNode } from "./nspawn.js";
import type { NodeSpec } from "./nspawn-argv.js";
import { nodePaths, type SandboxPaths } from "./paths.js";
import { nodeProcesses } from "./processes.js";
import { sshSilence, waitForSsh, waitForSystem } from "./ready.js";
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

/** How long a running node's sshd may take to answer before np calls the node hung and restarts it. */
export const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Makes sure a node runs with `spec` and answers: a running node with the same spec whose sshd answers is kept as
 * it is; one whose spec changed, or whose sshd does not answer within `answerTimeoutMs` (network down, sshd
 * stopped, systemd stuck), is powered off (killed if it does not stop) and started again; a stopped one is
 * started. Returns its systemd-nspawn PID.
 */
export async function ensureNodeRunning(
  ctx: BootContext,
  spec: NodeSpec,
  previous?: NodeSpec,
  answerTimeoutMs = ANSWER_TIMEOUT_MS,
): Promise<number> {
  const node = nodePaths(ctx.paths, spec.name);
  const nspawn = (await nodeProcesses(node)).find((p) => p.kind === "nspawn");
  const unchanged =
    previous !== undefined &&
    previous.address === spec.address &&
    previous.small === spec.small &&
    previous.machine === spec.machine;
  const silent =
    nspawn && unchanged
      ? await sshSilence(spec.address, { timeoutMs: answerTimeoutMs, signal: ctx.signal })
      : undefined;
  const hung =
    silent === undefined
      ? undefined
      : `sshd at ${spec.address}:22 did not answer within ${answerTimeoutMs / 1000}s (${silent})`;
  if (nspawn && unchanged && hung === undefined) {
    ctx.out.host(spec.name, `already running (pid ${nspawn.pid})`);
    return nspawn.pid;
  }
  if (nspawn) {
    ctx.out.host(
      spec.name,
      hung ? `running, but ${hung}: restarting the node` : "settings changed: restarting",
    );
    const how = await stopNode(node);
    if (hung) ctx.out.host(spec.name, how === "killed" ? "did not power off in time: killed" : "powered off");
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
