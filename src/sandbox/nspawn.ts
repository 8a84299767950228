import { spawn } from "node:child_process";
import { mkdir, open, readFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HostError } from "../errors.js";
import { createNodeCgroups, removeNodeCgroups } from "./cgroups.js";
import { type NodeSpec, nspawnArgv } from "./nspawn-argv.js";
import type { NodePaths } from "./paths.js";
import { isRunning, isZombie, type NodeProcess, nodeProcesses, signalProcess } from "./processes.js";

/**
 * Moves itself into the cgroups whose `cgroup.procs` files come before `--`, then becomes the program after it
 * (same PID). The paths are arguments, never part of the script.
 */
const JOIN_CGROUPS_THEN_EXEC =
  'while [ "$1" != -- ]; do echo "$$" > "$1" || exit 125; shift; done; shift; exec "$@"';

/** The argv that starts `program args` inside the cgroups of `procsFiles` (see cgroups.ts for why). */
export function inCgroupsArgv(
  procsFiles: readonly string[],
  program: string,
  args: readonly string[],
): string[] {
  return ["-c", JOIN_CGROUPS_THEN_EXEC, "np-sandbox-node", ...procsFiles, "--", program, ...args];
}

/**
 * Starts systemd-nspawn for a node in the node's own cgroups, detached in its own session with output to the
 * node's console log, so the node keeps running after np exits. Returns the nspawn PID.
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
    const cgroups = await createNodeCgroups(node.machine);
    const child = spawn("/bin/sh", inCgroupsArgv(cgroups, nspawn, nspawnArgv(node.merged, bridge, spec)), {
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

/**
 * Waits until the node has no live process left, looked up afresh each time so late children count; records
 * every PID it saw in `seen`. True if so within `timeoutMs`.
 */
async function waitGone(node: NodePaths, timeoutMs: number, seen: Set<number>): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const procs = await nodeProcesses(node);
    for (const p of procs) seen.add(p.pid);
    if (procs.length === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(200);
  }
}

/**
 * Waits (bounded) until the exited processes are reaped. The nodes' nspawns outlive the `np sandbox up` that
 * started them, so the host's PID 1 is their parent, and it may take a second to reap them: until then they are
 * still in the process table.
 */
async function waitReaped(pids: Iterable<number>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const zombies = async () => (await Promise.all([...pids].map(isZombie))).some(Boolean);
  while ((await zombies()) && Date.now() < deadline) await sleep(100);
}

function killAll(procs: readonly NodeProcess[]): void {
  for (const p of procs) signalProcess(p.pid, "SIGKILL");
}

/**
 * Stops a node and returns once every process of it is gone (its nspawn, the container's init and everything in
 * its cgroups), then removes its cgroups. SIGTERM to systemd-nspawn makes the container power off cleanly; after
 * `timeoutMs` whatever remains is killed (killing nspawn alone would leave the container running). Returns how
 * it ended.
 */
export async function stopNode(
  node: NodePaths,
  // Sandbox nodes are disposable: a container that has not powered off after 15 s is killed.
  timeoutMs = 15_000,
): Promise<"not-running" | "stopped" | "killed"> {
  const procs = await nodeProcesses(node);
  const seen = new Set(procs.map((p) => p.pid));
  const nspawns = procs.filter((p) => p.kind === "nspawn");
  let how: "not-running" | "stopped" | "killed" = "stopped";
  if (procs.length === 0) how = "not-running";
  else if (nspawns.length === 0) {
    // A container whose nspawn is gone has nobody to power it off for: kill it.
    killAll(procs);
    how = "killed";
  } else for (const p of nspawns) signalProcess(p.pid, "SIGTERM");
  if (how !== "not-running" && !(await waitGone(node, how === "killed" ? 5_000 : timeoutMs, seen))) {
    how = "killed";
    // Looked up again: the container's init and its children may not all have been there at first.
    killAll(await nodeProcesses(node));
    if (!(await waitGone(node, 5_000, seen))) {
      const left = (await nodeProcesses(node)).map((p) => p.pid).join(", ");
      throw new HostError(
        path.basename(node.dir),
        `processes of the node survived SIGKILL: ${left}`,
        "they are stuck in the kernel (see /proc/PID/stack); retry np sandbox down",
      );
    }
  }
  await waitReaped(seen, 5_000);
  await removeNodeCgroups(node.machine);
  return how;
}
