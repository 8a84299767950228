import { mkdir, readdir, readFile, rmdir } from "node:fs/promises";
import path from "node:path";
import { unescapeMountPath } from "./mounts.js";

/**
 * Every node gets a cgroup of its own, `np-sandbox/<machine>`, in each hierarchy that tracks processes. Without it,
 * systemd-nspawn (`--keep-unit`, with no systemd on the host to give it a scope) puts every container in the same
 * cgroup, `<its own cgroup>/payload`, so the systemd of every node manages the SAME `system.slice/<unit>` cgroups:
 * a node that finishes a unit removes the cgroup that another node's identical unit is being started in, which then
 * fails with "Failed at step CGROUP … No such file or directory" (exit 219/CGROUP) and leaves that node "degraded".
 * Their own cgroup also lets np find every process of a node, its children included, to wait for them.
 */
export const NODE_CGROUP_PARENT = "np-sandbox";

/**
 * The mount points of the hierarchies systemd tracks processes in, from a mountinfo text: the cgroup2 hierarchy
 * and the cgroup v1 `name=systemd` one (a hybrid or legacy host has both or the latter; a unified host the former).
 */
export function trackingHierarchies(mountinfo: string): string[] {
  const found: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const [mount, fs] = line.split(" - ");
    const mountPoint = mount?.split(" ")[4];
    const [type, , superOptions = ""] = fs?.split(" ") ?? [];
    if (!mountPoint) continue;
    if (type === "cgroup2" || (type === "cgroup" && superOptions.split(",").includes("name=systemd")))
      found.push(unescapeMountPath(mountPoint));
  }
  return [...new Set(found)];
}

/** The node's cgroup directories, one per tracking hierarchy of this host. */
export async function nodeCgroupDirs(machine: string): Promise<string[]> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  return trackingHierarchies(mountinfo).map((h) => path.join(h, NODE_CGROUP_PARENT, machine));
}

/** Creates the node's cgroups and returns their `cgroup.procs` files (what the node's nspawn joins before it runs). */
export async function createNodeCgroups(machine: string): Promise<string[]> {
  const dirs = await nodeCgroupDirs(machine);
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  return dirs.map((dir) => path.join(dir, "cgroup.procs"));
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
}

async function pidsUnder(dir: string, into: Set<number>): Promise<void> {
  const procs = await readFile(path.join(dir, "cgroup.procs"), "utf8").catch(() => "");
  for (const line of procs.split("\n")) if (/^\d+$/.test(line) && line !== "0") into.add(Number(line));
  for (const sub of await subdirs(dir)) await pidsUnder(sub, into);
}

/** Every process in the node's cgroups (nspawn, the container's init and everything they started). */
export async function nodeCgroupPids(machine: string): Promise<number[]> {
  const pids = new Set<number>();
  for (const dir of await nodeCgroupDirs(machine)) await pidsUnder(dir, pids);
  return [...pids].sort((a, b) => a - b);
}

async function removeCgroupTree(dir: string): Promise<void> {
  for (const sub of await subdirs(dir)) await removeCgroupTree(sub);
  // A cgroup is removed with rmdir (its files are the kernel's); one that still has processes stays (EBUSY).
  await rmdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== "ENOENT" && err.code !== "EBUSY") throw err;
  });
}

/**
 * Removes the node's cgroups once its processes are gone. The shared parent stays: removing it could race with
 * another sandbox creating a node's cgroup in it.
 */
export async function removeNodeCgroups(machine: string): Promise<void> {
  for (const dir of await nodeCgroupDirs(machine)) await removeCgroupTree(dir);
}
