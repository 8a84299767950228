import path from "node:path";
import { type ExportedFile, exportArtifacts } from "../../artifacts/export-dir.js";
import { formatSize } from "../../artifacts/format-size.js";
import { fetchArtifacts } from "../../artifacts/index.js";
import type { Arch } from "../../artifacts/types.js";
import { artifactRequests } from "../../cluster/phases/fetch-artifacts.js";
import { loadInventory } from "../../inventory/index.js";
import type { CommandContext } from "../context.js";

/** Fetches and verifies the inventory's binaries for `arches`, writes them into `dir`, and lists the files. */
export async function artifactsFetch(
  ctx: CommandContext,
  options: { dir: string; arches: readonly Arch[]; cacheDir?: string },
): Promise<ExportedFile[]> {
  const { inventory, warnings } = await loadInventory(ctx.inventoryPath);
  for (const w of warnings) ctx.out.warn(w);
  // Every component's binaries (Node.js too: np-agent's runtime), exactly what `np up` installs.
  const requests = options.arches.flatMap((arch) => artifactRequests(inventory, () => arch));
  const fetchOpts = {
    signal: ctx.signal,
    onProgress: (m: string) => ctx.out.info(m),
    onWarning: (m: string) => ctx.out.warn(m),
    ...(options.cacheDir && { cacheDir: options.cacheDir }),
  };
  const fetched = await fetchArtifacts(inventory.artifacts, requests, fetchOpts);
  const files = await exportArtifacts(fetched, options.dir, inventory.artifacts.trustedKeys, {
    ...fetchOpts,
    onProgress: (m) => ctx.out.debug(m),
  });
  if (ctx.out.json) {
    ctx.out.data({ dir: options.dir, files, artifacts: { source: "dir", dir: options.dir } });
    return files;
  }
  ctx.out.info("");
  for (const f of files)
    ctx.out.info(`${path.join(options.dir, f.path)}  ${formatSize(f.size)}  sha256 ${f.sha256}`);
  const keys = inventory.artifacts.trustedKeys;
  ctx.out.info(
    `\n${files.length} files in ${options.dir}, verified again from the folder. On a machine without internet ` +
      `access, copy the folder and set in the inventory:\n  artifacts:\n    source: dir\n    dir: ${options.dir}` +
      (keys.length > 0 ? `\n    trusted_keys: [${keys.join(", ")}]` : ""),
  );
  return files;
}
