import { readFile, writeFile } from "node:fs/promises";

/** The kernel's per-user limit on inotify instances (Debian's default: 128). */
export const INOTIFY_LIMIT_FILE = "/proc/sys/fs/inotify/max_user_instances";
/**
 * What np sandbox wants. Every node's systemd (PID 1, journald, logind and the units that watch paths) holds several
 * inotify instances, all owned by root: at 128 a few sandboxes side by side (about 18 nodes) exhaust it, and
 * systemd-nspawn fails to boot the next node with "Too many open files", which shows only as an sshd that never
 * answers.
 */
export const WANTED_INOTIFY_INSTANCES = 1024;

/**
 * Raises the inotify instance limit to what sandbox nodes need when it is lower (a runtime setting, lost at reboot;
 * np never lowers it). Returns the line to print, or undefined when nothing changed.
 */
export async function ensureInotifyInstances(
  file = INOTIFY_LIMIT_FILE,
  wanted = WANTED_INOTIFY_INSTANCES,
): Promise<string | undefined> {
  const text = (await readFile(file, "utf8").catch(() => "")).trim();
  if (!/^\d+$/.test(text)) return undefined;
  const current = Number(text);
  if (current >= wanted) return undefined;
  try {
    await writeFile(file, `${wanted}\n`);
  } catch (err) {
    return `fs.inotify.max_user_instances is ${current} and np could not raise it (${(err as Error).message}): nodes may fail to boot with "Too many open files"; raise it with sysctl -w fs.inotify.max_user_instances=${wanted}`;
  }
  return `raised fs.inotify.max_user_instances from ${current} to ${wanted} (every node's systemd holds several; nodes fail to boot with "Too many open files" beyond the limit)`;
}
