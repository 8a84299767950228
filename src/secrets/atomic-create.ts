import { randomBytes } from "node:crypto";
import { link, open, rename, unlink } from "node:fs/promises";
import path from "node:path";

/**
 * Creates `file` with `content` and mode 0600 all at once, never replacing an existing file: the content goes
 * to a private temporary file first, which is then hard-linked into place (rename only where links are not
 * supported). Returns false when `file` already exists, e.g. written by a concurrent np run; the caller reads it.
 */
export async function createPrivateFileAtomically(file: string, content: string): Promise<boolean> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`);
  const handle = await open(tmp, "wx", 0o600);
  try {
    await handle.writeFile(content, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
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
    await syncDir(dir);
    return true;
  }
  await unlink(tmp);
  await syncDir(dir);
  return true;
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
