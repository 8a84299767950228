import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { archOf } from "../../artifacts/layout.js";
import type { Arch } from "../../artifacts/types.js";
import { contextFrom } from "../context.js";
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
      const { artifactsFetch } = await import("../actions/artifacts-fetch.js");
      await artifactsFetch(ctx, { dir: path.resolve(ctx.cwd, flags.dir), arches: flags.arch });
    });
};
