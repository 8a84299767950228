import { spawn } from "node:child_process";
import { access, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { OperationError } from "../errors.js";
import { lockBaseBuild } from "./build-lock.js";
import { run } from "./exec.js";
import { removeTree } from "./mounts.js";
import { BASE_SUITE, baseRootDir } from "./paths.js";
import type { Tools } from "./requirements.js";

/** Packages on top of debootstrap's minbase: what a bare VM np provisions is expected to have. */
export const BASE_PACKAGES = [
  "systemd",
  "systemd-sysv",
  "openssh-server",
  "iproute2",
  "ca-certificates",
  "sudo",
  "curl",
  "unzip",
  // The D-Bus system bus: systemctl as a user other than root (np-agent reads unit states) needs it, and every
  // Debian/Ubuntu server image has it.
  "dbus",
];
export const DEBIAN_MIRROR = "http://deb.debian.org/debian";

/** The debootstrap argv that builds a base root into `target`. */
export function debootstrapArgv(target: string): string[] {
  return ["--variant=minbase", `--include=${BASE_PACKAGES.join(",")}`, BASE_SUITE, target, DEBIAN_MIRROR];
}

/** Generates the node's own SSH host keys on its first boot (the base root ships none, so no two nodes share). */
const HOST_KEYS_UNIT = `[Unit]
Description=Generate this node's SSH host keys (np sandbox)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=multi-user.target
`;

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Makes a fresh debootstrap root into a sandbox base: per-node identity removed, networkd on, user `deploy`. */
async function customizeBase(tools: Tools, root: string): Promise<void> {
  const sshDir = path.join(root, "etc/ssh");
  for (const f of await readdir(sshDir)) if (f.startsWith("ssh_host_")) await rm(path.join(sshDir, f));
  // Every node gets its own machine-id when np creates it.
  await writeFile(path.join(root, "etc/machine-id"), "");
  await rm(path.join(root, "var/lib/dbus/machine-id"), { force: true });
  await writeFile(path.join(root, "etc/systemd/system/np-sandbox-host-keys.service"), HOST_KEYS_UNIT);
  await writeFile(
    path.join(root, "etc/ssh/sshd_config.d/np-sandbox.conf"),
    "# np sandbox: key logins only; root may log in with a key.\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n",
  );
  await run(tools.chroot, [root, "useradd", "--create-home", "--shell", "/bin/bash", "deploy"]);
  await writeFile(path.join(root, "etc/sudoers.d/deploy"), "deploy ALL=(ALL:ALL) NOPASSWD: ALL\n", {
    mode: 0o440,
  });
  await run(tools.chroot, [
    root,
    "systemctl",
    "enable",
    "systemd-networkd.service",
    "np-sandbox-host-keys.service",
  ]);
  // Nodes have no route to the internet: keep apt's daily timers from trying.
  await run(tools.chroot, [root, "systemctl", "mask", "apt-daily.timer", "apt-daily-upgrade.timer"]);
  await writeFile(
    path.join(root, "etc/np-sandbox-base"),
    `built ${new Date().toISOString()} by np sandbox\n`,
  );
}

async function debootstrap(tools: Tools, target: string, log: string, signal?: AbortSignal): Promise<void> {
  const handle = await open(log, "w", 0o644);
  try {
    const child = spawn(tools.debootstrap, debootstrapArgv(target), {
      stdio: ["ignore", handle.fd, handle.fd],
      signal,
      env: { ...process.env, LC_ALL: "C", DEBIAN_FRONTEND: "noninteractive" },
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    if (code !== 0) {
      const tail = (await readFile(log, "utf8")).trimEnd().split("\n").slice(-8).join("\n");
      throw new OperationError(`debootstrap failed (exit ${code}):\n${tail}`, `full log: ${log}`);
    }
  } finally {
    await handle.close();
  }
}

/** Removes base builds that were interrupted (their directory names carry the builder's PID). */
async function removeStaleBuilds(tools: Tools, home: string, base: string): Promise<void> {
  const prefix = `${path.basename(base)}.`;
  for (const entry of await readdir(home)) {
    const m = entry.startsWith(prefix) ? /\.(partial|old)-(\d+)$/.exec(entry) : null;
    if (!m) continue;
    const pid = Number(m[2]);
    const alive = await exists(`/proc/${pid}`);
    if (!alive || pid === process.pid) await removeTree(tools.umount, path.join(home, entry));
  }
}

export interface BaseRootOptions {
  rebuild?: boolean;
  signal?: AbortSignal;
  /** Called before a build starts, with the log file's path. */
  onBuild?: (log: string) => void;
  /** Called once when another np is building the base root and this one waits for it. */
  onWait?: (holder: number) => void;
}

/**
 * Returns the cached base root, building it first when missing (or when `rebuild`). A build goes into a
 * temporary directory that is renamed into place only when complete, so an interrupted build is never used.
 */
export async function ensureBaseRoot(
  tools: Tools,
  home: string,
  opts: BaseRootOptions = {},
): Promise<string> {
  const base = baseRootDir(home);
  if (!opts.rebuild && (await exists(base))) return base;
  await mkdir(home, { recursive: true, mode: 0o755 });
  const release = await lockBaseBuild(`${base}.lock`, opts.signal, opts.onWait);
  try {
    // Another np may have built it while this one waited for the lock.
    if (!opts.rebuild && (await exists(base))) return base;
    return await buildBaseRoot(tools, home, base, opts);
  } finally {
    await release();
  }
}

async function buildBaseRoot(
  tools: Tools,
  home: string,
  base: string,
  opts: BaseRootOptions,
): Promise<string> {
  await removeStaleBuilds(tools, home, base);
  const partial = `${base}.partial-${process.pid}`;
  const log = `${base}.log`;
  opts.onBuild?.(log);
  try {
    await debootstrap(tools, partial, log, opts.signal);
    await customizeBase(tools, partial);
    if (await exists(base)) {
      const old = `${base}.old-${process.pid}`;
      await rename(base, old);
      await rename(partial, base);
      await removeTree(tools.umount, old);
    } else {
      await rename(partial, base);
    }
  } catch (err) {
    await removeTree(tools.umount, partial);
    throw err;
  }
  return base;
}
