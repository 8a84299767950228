import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, readlink, rm, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { OperationError } from "../errors.js";
import { run } from "./exec.js";
import { isMounted } from "./mounts.js";
import type { NodeSpec } from "./nspawn-argv.js";
import type { NodePaths } from "./paths.js";
import type { Tools } from "./requirements.js";
import {
  FAKE_MEMINFO_PATH,
  fakeMeminfo,
  SMALL_UNIT_NAME,
  SMALL_UNIT_WANTED_BY,
  smallMemoryUnit,
} from "./small-node.js";

/** The systemd-networkd file that gives the node its static address; it must sort before 80-container-host0. */
export function hostNetworkFile(address: string, prefix: number, gateway: string): string {
  return `[Match]\nName=host0\n\n[Network]\nAddress=${address}/${prefix}\nGateway=${gateway}\n`;
}

/** /etc/hosts as Debian writes it, so sudo and friends resolve the node's own name. */
export function hostsFile(name: string): string {
  return `127.0.0.1\tlocalhost\n127.0.1.1\t${name}\n\n::1\tlocalhost ip6-localhost ip6-loopback\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n`;
}

/** Mounts the node's overlay (base below, the node's own upper dir on top) unless it is mounted already. */
export async function mountNodeRoot(tools: Tools, base: string, node: NodePaths): Promise<void> {
  for (const dir of [node.upper, node.work, node.merged]) await mkdir(dir, { recursive: true, mode: 0o755 });
  if (await isMounted(node.merged)) return;
  const options = `lowerdir=${base},upperdir=${node.upper},workdir=${node.work}`;
  await run(tools.mount, ["-t", "overlay", "overlay", "-o", options, node.merged]).catch((err: Error) => {
    throw new OperationError(
      `cannot mount the overlay for ${path.basename(node.dir)}: ${err.message}`,
      "np sandbox needs overlayfs (modprobe overlay), and its state directory must not itself be on overlayfs",
    );
  });
}

async function writeInRoot(root: string, file: string, content: string, mode = 0o644): Promise<void> {
  const target = path.join(root, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content, { mode });
  await chmod(target, mode);
}

async function userIds(root: string, user: string): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile(path.join(root, "etc/passwd"), "utf8");
  const fields = passwd
    .split("\n")
    .find((l) => l.startsWith(`${user}:`))
    ?.split(":");
  if (!fields)
    throw new OperationError(`the base root has no user ${user}`, "rebuild it: np sandbox up --rebuild");
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

async function authorizeKey(root: string, home: string, user: string, publicKey: string): Promise<void> {
  const { uid, gid } = await userIds(root, user);
  const sshDir = path.join(root, home, ".ssh");
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  await writeInRoot(root, path.join(home, ".ssh/authorized_keys"), `${publicKey.trim()}\n`, 0o600);
  await chown(sshDir, uid, gid);
  await chown(path.join(sshDir, "authorized_keys"), uid, gid);
}

async function configureSmall(root: string, small: boolean): Promise<void> {
  const unit = path.join("etc/systemd/system", SMALL_UNIT_NAME);
  const link = path.join(root, "etc/systemd/system", `${SMALL_UNIT_WANTED_BY}.wants`, SMALL_UNIT_NAME);
  await rm(link, { force: true });
  if (!small) {
    await rm(path.join(root, unit), { force: true });
    await rm(path.join(root, FAKE_MEMINFO_PATH), { force: true });
    return;
  }
  await writeInRoot(root, FAKE_MEMINFO_PATH, fakeMeminfo());
  await writeInRoot(root, unit, smallMemoryUnit());
  await mkdir(path.dirname(link), { recursive: true });
  await symlink(`/${unit}`, link);
}

/** The units that make a node reachable, and their enablement links as the base root has them. */
const REACHABILITY_UNITS = ["ssh.service", "systemd-networkd.service"];
const REACHABILITY_LINKS: [string, string][] = [
  ["etc/systemd/system/multi-user.target.wants/ssh.service", "/lib/systemd/system/ssh.service"],
  ["etc/systemd/system/sshd.service", "/lib/systemd/system/ssh.service"],
  [
    "etc/systemd/system/multi-user.target.wants/systemd-networkd.service",
    "/lib/systemd/system/systemd-networkd.service",
  ],
];

/**
 * Unmasks and re-enables sshd and networkd when they were masked or disabled on the node, so a node np restarts
 * because it did not answer comes back reachable.
 */
async function restoreReachability(root: string): Promise<void> {
  const linkOf = (file: string) => readlink(path.join(root, file)).catch(() => undefined);
  for (const unit of REACHABILITY_UNITS) {
    const mask = path.join("etc/systemd/system", unit);
    if ((await linkOf(mask)) === "/dev/null") await rm(path.join(root, mask));
  }
  for (const [link, target] of REACHABILITY_LINKS) {
    if ((await linkOf(link)) === target) continue;
    await rm(path.join(root, link), { force: true });
    await mkdir(path.dirname(path.join(root, link)), { recursive: true });
    await symlink(target, path.join(root, link));
  }
}

export interface NodeNetwork {
  prefix: number;
  gateway: string;
}

/**
 * Writes the node's identity into its root before it boots: host name, a machine-id of its own (kept across
 * restarts), static address, the sandbox key for root and `deploy`, the small-node unit when asked, and sshd and
 * networkd enabled.
 */
export async function configureNodeRoot(
  root: string,
  spec: NodeSpec,
  net: NodeNetwork,
  publicKey: string,
): Promise<void> {
  await writeInRoot(root, "etc/hostname", `${spec.name}\n`);
  await writeInRoot(root, "etc/hosts", hostsFile(spec.name));
  const machineId = await readFile(path.join(root, "etc/machine-id"), "utf8").catch(() => "");
  if (machineId.trim() === "")
    await writeInRoot(root, "etc/machine-id", `${randomBytes(16).toString("hex")}\n`, 0o444);
  await writeInRoot(
    root,
    "etc/systemd/network/10-host0.network",
    hostNetworkFile(spec.address, net.prefix, net.gateway),
  );
  await authorizeKey(root, "root", "root", publicKey);
  await authorizeKey(root, "home/deploy", "deploy", publicKey);
  await configureSmall(root, spec.small);
  await restoreReachability(root);
}
