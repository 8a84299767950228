import { readdir, readFile } from "node:fs/promises";
import { nodeCgroupPids } from "./cgroups.js";

/**
 * A process that belongs to a node: its systemd-nspawn, the container's init (PID 1 inside), or another process in
 * the node's cgroups (what the container runs).
 */
export interface NodeProcess {
  pid: number;
  kind: "nspawn" | "init" | "member";
}

async function pids(): Promise<number[]> {
  const entries = await readdir("/proc");
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

/** Whether an argv (from /proc/PID/cmdline) is systemd-nspawn booting `root`. */
export function isNspawnFor(argv: readonly string[], root: string): boolean {
  if (!argv[0]?.endsWith("systemd-nspawn")) return false;
  return (
    argv.some((arg, i) => (arg === "--directory" || arg === "-D") && argv[i + 1] === root) ||
    argv.includes(`--directory=${root}`)
  );
}

async function argvOf(pid: number): Promise<string[]> {
  const raw = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
  return raw.split("\0").filter((a) => a !== "");
}

/** Whether `mountinfo` (of a process) has an overlay mounted on `/` whose upper dir is `upper`. */
export function rootIsOverlayWithUpper(mountinfo: string, upper: string): boolean {
  return mountinfo.split("\n").some((line) => {
    const [mount, fs] = line.split(" - ");
    return mount?.split(" ")[4] === "/" && fs?.startsWith("overlay ") && fs.includes(`upperdir=${upper},`);
  });
}

/**
 * The processes of a node: systemd-nspawn processes booting its root; the container's init, recognised by its
 * root being the node's overlay (so a container whose nspawn was killed is still found); and every other process
 * in the node's cgroups. Zombies are left out: they have exited.
 */
export async function nodeProcesses(node: {
  machine: string;
  merged: string;
  upper: string;
}): Promise<NodeProcess[]> {
  const found: NodeProcess[] = [];
  const members = new Set(await nodeCgroupPids(node.machine));
  for (const pid of await pids()) {
    if (pid === process.pid) continue;
    if (isNspawnFor(await argvOf(pid), node.merged)) {
      found.push({ pid, kind: "nspawn" });
    } else if (await isPidNamespaceInit(pid)) {
      const mountinfo = await readFile(`/proc/${pid}/mountinfo`, "utf8").catch(() => "");
      if (rootIsOverlayWithUpper(mountinfo, node.upper)) found.push({ pid, kind: "init" });
      else if (members.has(pid)) found.push({ pid, kind: "member" });
    } else if (members.has(pid)) {
      found.push({ pid, kind: "member" });
    }
  }
  const alive = await Promise.all(found.map((p) => isRunning(p.pid)));
  return found.filter((_, i) => alive[i]);
}

/** Whether `pid` is PID 1 of its own PID namespace (the `NSpid:` line ends in 1). */
async function isPidNamespaceInit(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const line = status.split("\n").find((l) => l.startsWith("NSpid:"));
  const ids = line?.split(/\s+/).slice(1) ?? [];
  return ids.length > 1 && ids[ids.length - 1] === "1";
}

/** Whether a process is still alive (a zombie counts as gone). */
export async function isRunning(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return status !== "" && !/^State:\s+Z/m.test(status);
}

/** Whether a process has exited but is still in the process table, waiting for its parent to reap it. */
export async function isZombie(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  return /^State:\s+[ZX]/m.test(status);
}

/** Sends a signal, ignoring a process that has already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
