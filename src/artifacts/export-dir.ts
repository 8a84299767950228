import { copyFile, mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { OperationError } from "../errors.js";
import { tempPathFor } from "./cache.js";
import { hashFile } from "./checksums.js";
import { fetchArtifacts } from "./fetch.js";
import { mirrorPath } from "./layout.js";
import type { ArtifactsSettings, FetchedArtifact, FetchOptions } from "./types.js";

/** A file written into the exported folder. */
export interface ExportedFile {
  /** Path relative to the folder, with "/" separators (the mirror layout). */
  path: string;
  size: number;
  sha256: string;
}

/**
 * Copies verified artifacts (archive, checksums file, signature) into `dir` in the mirror layout
 * (`<product>/<version>/<file>`), then verifies the folder again as an `artifacts: { source: dir }` would,
 * so the folder is known to work on an air-gapped machine. Returns the files, sorted by path.
 */
export async function exportArtifacts(
  fetched: readonly FetchedArtifact[],
  dir: string,
  trustedKeys: readonly string[],
  opts: FetchOptions = {},
): Promise<ExportedFile[]> {
  const written = new Map<string, ExportedFile>();
  for (const a of fetched) {
    for (const source of [a.checksumsPath, a.signaturePath, a.archivePath]) {
      if (!source) continue;
      const rel = mirrorPath(a.product, a.version, path.basename(source));
      if (written.has(rel)) continue;
      const dest = path.join(dir, ...rel.split("/"));
      if (path.resolve(source) !== path.resolve(dest)) await copyAtomic(source, dest);
      written.set(rel, { path: rel, ...(await hashFile(dest)) });
    }
  }
  const settings: ArtifactsSettings = { source: "dir", dir, trustedKeys: [...trustedKeys] };
  const again = await fetchArtifacts(settings, fetched, opts);
  for (const [i, a] of again.entries()) {
    if (a.archiveSha256 !== fetched[i]?.archiveSha256)
      throw new OperationError(`${a.archivePath} changed while it was copied; run the command again`);
  }
  return [...written.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function copyAtomic(source: string, dest: string): Promise<void> {
  await mkdir(path.dirname(dest), { recursive: true }).catch((err: Error) => {
    throw new OperationError(`cannot create ${path.dirname(dest)}: ${err.message}`);
  });
  const tmp = tempPathFor(dest);
  try {
    await copyFile(source, tmp);
    await rename(tmp, dest);
  } catch (err) {
    throw new OperationError(`cannot write ${dest}: ${(err as Error).message}`);
  } finally {
    await rm(tmp, { force: true });
  }
}
