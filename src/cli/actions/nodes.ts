import { type NodeReport, readNodeReports } from "../../cluster/nodes.js";
import { OperationError } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import { table } from "../../preflight/report.js";
import type { CommandContext } from "../context.js";

const mb = (bytes: number) => `${Math.round(bytes / 1048576)} MB`;
const gb = (bytes: number) => `${(bytes / 1073741824).toFixed(1)} GB`;

/** The table row of one node. */
export function nodeRow(r: NodeReport): string[] {
  const s = r.summary;
  const age = r.ageSec === null ? "-" : `${r.ageSec}s`;
  if (!s) return [r.name, r.roles.join(","), r.agent, "-", "-", "-", "-", "-", "-", "-", age];
  const units = `${s.units.up} up${s.units.down ? `, ${s.units.down} down (${s.units.downNames.join(", ")})` : ""}`;
  const versions = Object.entries(s.versions)
    .filter(([k]) => k !== "np-agent" && k !== "node")
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
  return [
    r.name,
    r.roles.join(","),
    r.agent === "fresh" && s.state !== "ok" ? `fresh, ${s.state}` : r.agent,
    s.cpuPercent === null ? "-" : `${s.cpuPercent.toFixed(1)}% of ${s.cpuCount}`,
    s.load.map((l) => l.toFixed(2)).join(" "),
    s.memory ? `${mb(s.memory.usedBytes)} / ${mb(s.memory.totalBytes)}` : "-",
    s.disk ? `${gb(s.disk.usedBytes)} / ${gb(s.disk.totalBytes)}` : "-",
    s.allocations === null ? "-" : String(s.allocations),
    units,
    versions,
    age,
  ];
}

/** `np nodes`: prints every node's report; exit 1 when an agent is stale or missing. */
export async function nodes(ctx: CommandContext): Promise<NodeReport[]> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const reports = await readNodeReports(inventory, ctx.signal);
  if (ctx.out.json) ctx.out.data({ nodes: reports });
  else {
    const head = [
      "NODE",
      "ROLES",
      "AGENT",
      "CPU",
      "LOAD",
      "MEMORY",
      "DISK",
      "ALLOCS",
      "UNITS",
      "VERSIONS",
      "AGE",
    ];
    ctx.out.info(table([head, ...reports.map(nodeRow)]));
  }
  const bad = reports.filter((r) => r.agent !== "fresh");
  if (bad.length > 0)
    throw new OperationError(
      `no fresh report from ${bad.map((r) => `${r.name} (${r.agent})`).join(", ")}`,
      "check `systemctl status np-agent` on those nodes; `np up` installs and starts it",
    );
  return reports;
}
