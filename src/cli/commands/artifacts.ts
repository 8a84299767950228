import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import type { ExportedFile } from "../../artifacts/export-dir.js";
import { formatSize } from "../../artifacts/format-size.js";
import { archOf } from "../../artifacts/layout.js";
import type { Arch } from "../../artifacts/types.js";
import { loadInventory } from "../../inventory/index.js";
import { type CommandContext, contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** Parses `--arch amd64,arm64` (x86_64 and aarch64 are accepted too). */
export function parseArchList(value: string): Arch[] {
  const arches = new Set<Arch>();
  for (const item of value.split(",").map((s) => s.trim())) {
    try {
      arches.add(archOf(item));
    } catch {
      throw new InvalidArgumentError(
        `"${item}" is not an architecture np installs: use amd64, arm64 or both`,
      );
    }
  }
  return [...arches];
}

/** `np artifacts fetch`: download every binary the inventory needs into a folder, for air-gapped sites. */
export const registerArtifacts: RegisterCommand = (program: Command, signal: AbortSignal) => {
  const artifacts = program.command("artifacts").description("the release binaries np installs");
  artifacts
    .command("fetch")
    .description(
      "download and verify every binary the inventory needs into a folder (mirror layout), for air-gapped sites",
    )
    .option("--dir <dir>", "folder to fill", "artifacts")
    .option("--arch <list>", "architectures to fetch, comma-separated: amd64, arm64", parseArchList, [
      "amd64",
    ])
    .action(async (flags: { dir: string; arch: Arch[] }, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      await artifactsFetch(ctx, { dir: path.resolve(ctx.cwd, flags.dir), arches: flags.arch });
    });
};

/** Fetches and verifies the inventory's binaries for `arches`, writes them into `dir`, and lists the files. */
export async function artifactsFetch(
  ctx: CommandContext,
  options: { dir: string; arches: readonly Arch[]; cacheDir?: string },
): Promise<ExportedFile[]> {
  // Loaded on use: openpgp and the download code would slow every other command's start.
  const { fetchArtifacts, requestsFor } = await import("../../artifacts/index.js");
  const { exportArtifacts } = await import("../../artifacts/export-dir.js");
  const { inventory, warnings } = await loadInventory(ctx.inventoryPath);
  for (const w of warnings) ctx.out.warn(w);
  // Node.js too: np-agent's runtime, installed on every host.
  const include = ["consul", "nomad", "node"] as const;
  const requests = options.arches.flatMap((arch) => requestsFor(inventory, () => arch, { include }));
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
