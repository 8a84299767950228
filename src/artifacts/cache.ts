import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Product } from "./types.js";

/** The artifact cache: $NP_CACHE_DIR, else $XDG_CACHE_HOME/np/artifacts, else ~/.cache/np/artifacts. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.NP_CACHE_DIR) return path.resolve(env.NP_CACHE_DIR);
  // The XDG spec says relative values are invalid and must be ignored.
  if (env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME))
    return path.join(env.XDG_CACHE_HOME, "np", "artifacts");
  return path.join(env.HOME || os.homedir(), ".cache", "np", "artifacts");
}

/** A cached file, keyed by product, version and the vendor's file name. */
export function cachePath(cacheDir: string, product: Product, version: string, ...file: string[]): string {
  return path.join(cacheDir, product, version, ...file);
}

/** A unique temporary name beside `file`, so a rename onto `file` is atomic (same folder, same filesystem). */
export function tempPathFor(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
}

/** Writes `file` under a temporary name, then renames it: readers see the old file or the whole new one. */
export async function writeFileAtomic(file: string, data: Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    await writeFile(tmp, data, { mode });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Size of a regular file, or undefined when there is none. */
export async function fileSize(file: string): Promise<number | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}
