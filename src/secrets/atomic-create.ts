import { randomBytes } from "node:crypto";
import { link, open, readdir, rename, rm, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * A private temporary file beside `file`: `.<name>.tmp-<pid>-<random>`. The pid lets a later run tell the
 * leftovers of a killed run (SIGKILL gives no chance to clean up) from a live run's file; see
 * `removeStaleTemporaries`.
 */
function temporaryFor(file: string): string {
  const suffix = `${process.pid}-${randomBytes(6).toString("hex")}`;
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${suffix}`);
}

/** The pid in a temporary file's name (np's current `.x.tmp-<pid>-<hex>` and its earlier `x.tmp-<pid>`). */
const TEMPORARY = /\.tmp-(\d+)(?:-[0-9a-f]+)?$/;

/** True for the name of a temporary file np writes a secret through, never for a secret's own name. */
export function isTemporary(name: string): boolean {
  return TEMPORARY.test(name);
}

async function writeSynced(file: string, content: string): Promise<void> {
  const handle = await open(file, "wx", 0o600);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates `file` with `content` and mode 0600 all at once, never replacing an existing file: the content goes
 * to a private temporary file first, which is then hard-linked into place (rename only where links are not
 * supported). Returns false when `file` already exists, e.g. written by a concurrent np run; the caller reads it.
 */
export async function createPrivateFileAtomically(file: string, content: string): Promise<boolean> {
  const tmp = temporaryFor(file);
  await writeSynced(tmp, content);
  try {
    await link(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      await unlink(tmp);
      return false;
    }
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") {
      await unlink(tmp).catch(() => {});
      throw err;
    }
    await rename(tmp, file);
    await syncDir(path.dirname(file));
    return true;
  }
  await unlink(tmp);
  await syncDir(path.dirname(file));
  return true;
}

/** Writes (or replaces) a 0600 file atomically: a crash leaves the old content or the new one. */
export async function replacePrivateFileAtomically(file: string, content: string): Promise<void> {
  const tmp = temporaryFor(file);
  try {
    await writeSynced(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(path.dirname(file));
}

/**
 * Removes the temporary files a killed np run left in `dir` (each holds a copy of a secret); those of a run
 * still alive are its own business. Returns the names removed.
 */
export async function removeStaleTemporaries(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const stale = names.filter((n) => {
    const pid = TEMPORARY.exec(n)?.[1];
    return pid !== undefined && !isAlive(Number(pid));
  });
  for (const n of stale) await rm(path.join(dir, n), { force: true });
  return stale;
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

// The new directory entry must survive a crash too: a cluster running with a key np has lost cannot be joined.
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
