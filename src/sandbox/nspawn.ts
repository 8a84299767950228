import { spawn } from "node:child_process";
import { mkdir, open, readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { HostError } from "../errors.js";
import { type NodeSpec, nspawnArgv } from "./nspawn-argv.js";
import type { NodePaths } from "./paths.js";
import { isRunning, nodeProcesses, signalProcess } from "./processes.js";

/**
 * Starts systemd-nspawn for a node, detached in its own session with output to the node's console log, so the
 * node keeps running after np exits. Returns the nspawn PID.
 */
export async function startNode(
  nspawn: string,
  node: NodePaths,
  bridge: string,
  spec: NodeSpec,
): Promise<number> {
  await mkdir(node.dir, { recursive: true });
  const log = await open(node.log, "a", 0o600);
  try {
    await log.write(`\n--- np sandbox: starting ${spec.name} at ${new Date().toISOString()}\n`);
    const child = spawn(nspawn, nspawnArgv(node.merged, bridge, spec), {
      detached: true,
      stdio: ["ignore", log.fd, log.fd],
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", LANG: "C.UTF-8", SYSTEMD_COLORS: "0" },
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("spawn", () => resolve(child.pid as number));
    });
    child.unref();
    return pid;
  } finally {
    await log.close();
  }
}

/** The last lines of a node's console log, for error messages. */
export async function consoleTail(node: NodePaths, lines = 15): Promise<string> {
  const text = await readFile(node.log, "utf8").catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Throws a HostError quoting the console log's last lines when the node's nspawn has exited. */
export async function assertStillRunning(name: string, node: NodePaths, pid: number): Promise<void> {
  if (await isRunning(pid)) return;
  const tail = await consoleTail(node, 5);
  throw new HostError(
    name,
    `systemd-nspawn exited while the node was booting:\n${tail.replace(/^/gm, "     ")}`,
    `full console log: ${node.log}`,
    tail,
  );
}

async function waitGone(pids: readonly number[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive = (await Promise.all(pids.map(isRunning))).some(Boolean);
    if (!alive) return true;
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
}

/**
 * Stops a node: SIGTERM to systemd-nspawn makes the container power off cleanly; after `timeoutMs` the container's
 * init and nspawn are killed (killing nspawn alone would leave the container running). Returns how it ended.
 */
export async function stopNode(
  node: NodePaths,
  // Sandbox nodes are disposable: a container that has not powered off after 15 s is killed.
  timeoutMs = 15_000,
): Promise<"not-running" | "stopped" | "killed"> {
  const procs = await nodeProcesses(node);
  if (procs.length === 0) return "not-running";
  const nspawns = procs.filter((p) => p.kind === "nspawn");
  // A container whose nspawn is gone has nobody to power it off for: kill it.
  if (nspawns.length === 0) for (const p of procs) signalProcess(p.pid, "SIGKILL");
  for (const p of nspawns) signalProcess(p.pid, "SIGTERM");
  const all = procs.map((p) => p.pid);
  if (await waitGone(all, nspawns.length === 0 ? 5_000 : timeoutMs))
    return nspawns.length ? "stopped" : "killed";
  for (const p of [...procs.filter((q) => q.kind === "init"), ...nspawns]) signalProcess(p.pid, "SIGKILL");
  // The init may not have been found while nspawn was alive: look again.
  for (const p of await nodeProcesses(node)) signalProcess(p.pid, "SIGKILL");
  await waitGone(all, 5_000);
  return "killed";
}
