import type { Output } from "../output/port.js";
import type { HostVerdict } from "./judge.js";

/** Lays rows out in aligned columns (two spaces apart). */
export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The summary table and every problem, each line naming its host and address. */
export function printCheckReport(out: Output, verdicts: HostVerdict[]): void {
  const rows = [["HOST", "ADDRESS", "ROLES", "OS", "ARCH", "CPU", "RAM", "NEEDS", "DISK FREE", "RESULT"]];
  for (const v of verdicts) {
    const f = v.facts;
    rows.push([
      v.name,
      v.address,
      v.roles.join(","),
      f ? f.os.pretty : "-",
      f ? f.arch : "-",
      f?.cpus != null ? String(f.cpus) : "-",
      f?.memory.totalMb != null ? `${f.memory.totalMb} MB` : "-",
      `${v.minimum.memoryMb} MB, ${v.minimum.cpu} CPU`,
      f?.disk.freeMb != null ? `${(f.disk.freeMb / 1024).toFixed(1)} GB` : "-",
      v.unreachable ? "unreachable" : v.ok ? "ok" : "refused",
    ]);
  }
  out.info("");
  out.info(table(rows));
  const lines: string[] = [];
  for (const v of verdicts) {
    const who = `${v.name} (${v.address})`;
    if (v.unreachable) lines.push(out.paint("red", `${who}: ${v.unreachable}`));
    for (const p of v.problems) lines.push(out.paint("red", `${who}: ${p}`));
  }
  if (lines.length > 0) {
    out.info("");
    for (const l of lines) out.info(l);
  }
  for (const v of verdicts) for (const w of v.warnings) out.warn(`${v.name} (${v.address}): ${w}`);
}
