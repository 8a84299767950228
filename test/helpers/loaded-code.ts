import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { nodeBin, npBin } from "./run-np.js";

const HOOK = fileURLToPath(new URL("./record-modules.mjs", import.meta.url));

export interface LoadedCode {
  code: number;
  stdout: string;
  stderr: string;
  /** Files the process loaded (node: built-ins left out). */
  files: string[];
  /** npm packages whose code ran: loaded from node_modules, or bundled into a loaded file of dist/. */
  packages: Set<string>;
}

/**
 * Runs the built np with a hook that records every module it loads, and names the packages that code came from.
 * A bundled chunk of dist/ is traced to its inputs through its source map (`sources`).
 */
export function loadedCode(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): LoadedCode {
  const dir = mkdtempSync(path.join(os.tmpdir(), "np-loaded-"));
  const record = path.join(dir, "modules.txt");
  try {
    const r = spawnSync(nodeBin, ["--import", pathToFileURL(HOOK).href, npBin, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, NO_COLOR: "1", ...opts.env, NP_RECORD_MODULES: record },
      encoding: "utf8",
      timeout: 60_000,
    });
    const files = readFileSync(record, "utf8")
      .split("\n")
      .filter((u) => u.startsWith("file:"))
      .map((u) => fileURLToPath(u));
    const packages = new Set(files.filter((f) => f !== HOOK).flatMap(packagesOf));
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, files, packages };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The package a path lies in (the last node_modules/<name> or node_modules/@scope/<name> in it). */
export function packageOfPath(file: string): string | undefined {
  const parts = file.split(path.sep);
  const i = parts.lastIndexOf("node_modules");
  if (i < 0) return undefined;
  const name = parts[i + 1] ?? "";
  return name.startsWith("@") ? `${name}/${parts[i + 2]}` : name;
}

function packagesOf(file: string): string[] {
  const own = packageOfPath(file);
  if (own) return [own];
  const map = `${file}.map`;
  if (!existsSync(map)) return [];
  const { sources } = JSON.parse(readFileSync(map, "utf8")) as { sources: string[] };
  return sources.flatMap((s) => packageOfPath(path.resolve(path.dirname(file), s)) ?? []);
}
