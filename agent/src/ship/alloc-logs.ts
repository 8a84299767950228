import path from "node:path";
import { readdir } from "../fsp.js";

/** The numbered files of one task's stdout or stderr in one allocation. */
export interface LogGroup {
  /** "<alloc_id>/<task>.<stream>": the key of its cursor. */
  key: string;
  allocId: string;
  task: string;
  stream: "stdout" | "stderr";
  /** index -> path, for every <task>.<stream>.<index> present. */
  files: Map<number, string>;
}

const LOG_FILE = /^(.+)\.(stdout|stderr)\.(\d+)$/;

/** Parses a Nomad log file name (`web.stdout.3`); null for anything else (fifos, hidden files). */
export function parseLogFileName(
  name: string,
): { task: string; stream: "stdout" | "stderr"; index: number } | null {
  if (name.startsWith(".")) return null;
  const m = LOG_FILE.exec(name);
  if (!m?.[1] || !m[2] || !m[3]) return null;
  return { task: m[1], stream: m[2] as "stdout" | "stderr", index: Number(m[3]) };
}

/** The cursor key of a task's stream. */
export const groupKey = (allocId: string, task: string, stream: string) => `${allocId}/${task}.${stream}`;

/** What a scan of the alloc dir found, and what it could not read. */
export interface Discovery {
  groups: LogGroup[];
  /** Allocation directories present (also those without logs yet). */
  allocIds: Set<string>;
  errors: { path: string; message: string }[];
}

/**
 * Lists <allocDir>/<alloc_id>/alloc/logs/<task>.<stdout|stderr>.<n>, grouped by task and stream. An unreadable
 * directory is reported and skipped; the others are still read.
 */
export async function discoverLogGroups(allocDir: string): Promise<Discovery> {
  const out: Discovery = { groups: [], allocIds: new Set(), errors: [] };
  let allocs: string[];
  try {
    allocs = await readdir(allocDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT") out.errors.push({ path: allocDir, message: (err as Error).message });
    return out;
  }
  const byKey = new Map<string, LogGroup>();
  for (const allocId of allocs.sort()) {
    if (!/^[0-9a-f-]{36}$/.test(allocId)) continue;
    out.allocIds.add(allocId);
    const logs = path.join(allocDir, allocId, "alloc", "logs");
    let names: string[];
    try {
      names = await readdir(logs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") out.errors.push({ path: logs, message: (err as Error).message });
      continue;
    }
    for (const name of names.sort()) {
      const f = parseLogFileName(name);
      if (!f) continue;
      const key = groupKey(allocId, f.task, f.stream);
      let g = byKey.get(key);
      if (!g) {
        g = { key, allocId, task: f.task, stream: f.stream, files: new Map() };
        byKey.set(key, g);
        out.groups.push(g);
      }
      g.files.set(f.index, path.join(logs, name));
    }
  }
  return out;
}
