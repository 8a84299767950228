import path from "node:path";
import { OpenFile, rename, unlink } from "../fsp.js";

let counter = 0;

/**
 * Writes a file so that readers (and the agent after a crash) see either the old content or the new, never a
 * part: a temporary file in the same directory, fsync, rename over the target, fsync of the directory.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
  const fh = await OpenFile.open(tmp, "w", 0o640);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(path.dirname(file));
}

/** fsync of a directory, so a rename or unlink in it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const d = await OpenFile.open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
