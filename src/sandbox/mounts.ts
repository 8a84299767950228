import { readFile, rm } from "node:fs/promises";
import { run } from "./exec.js";

/** Decodes the octal escapes (`\040` for a space) that /proc/self/mountinfo uses in paths. */
export function unescapeMountPath(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));
}

/** Mount points of the host's mount namespace, from /proc/self/mountinfo. */
export async function mountPoints(): Promise<string[]> {
  const text = await readFile("/proc/self/mountinfo", "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((line) => unescapeMountPath(line.split(" ")[4] ?? ""));
}

/** Whether `dir` is a mount point. */
export async function isMounted(dir: string): Promise<boolean> {
  return (await mountPoints()).includes(dir);
}

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const found = (await mountPoints()).filter((m) => m === dir || m.startsWith(prefix));
  return found.sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir`; a busy mount is detached lazily so nothing stays mounted. */
export async function unmountAll(umount: string, dir: string): Promise<void> {
  for (const mount of await mountsUnder(dir)) {
    await run(umount, [mount]).catch(() => run(umount, ["--lazy", mount]));
  }
}

/**
 * Deletes a directory tree after unmounting everything inside it, so a leftover /proc or overlay mount is never
 * walked into.
 */
export async function removeTree(umount: string, dir: string): Promise<void> {
  await unmountAll(umount, dir);
  await rm(dir, { recursive: true, force: true });
}
