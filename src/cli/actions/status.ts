import { type ClusterStatus, readClusterStatus } from "../../cluster/status.js";
import { OperationError } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import { table } from "../../preflight/report.js";
import type { CommandContext } from "../context.js";
import { appRows, printApps } from "./app-status.js";

/** `np status`: prints cluster health, then the apps; throws (exit 1) when the cluster is degraded. */
export async function status(ctx: CommandContext): Promise<ClusterStatus> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  // The apps are read in parallel; whether they can be read does not change the exit code (the cluster's).
  const [s, apps] = await Promise.all([
    readClusterStatus(inventory, ctx.signal),
    appRows(inventory, ctx.signal),
  ]);
  if (ctx.out.json) ctx.out.data({ ...s, ...apps });
  else {
    for (const w of s.warnings) ctx.out.warn(w);
    print(ctx, s);
    ctx.out.info("");
    printApps(ctx.out, apps);
  }
  if (!s.healthy)
    throw new OperationError(
      `cluster ${inventory.cluster.name} is degraded:\n${s.degraded.map((d) => ` - ${d}`).join("\n")}`,
    );
  return s;
}

function print(ctx: CommandContext, s: ClusterStatus): void {
  for (const q of [s.consul, s.nomad]) {
    if (!q) continue;
    const title = q.service === "consul" ? "Consul" : "Nomad";
    const leader = q.leader || "none";
    ctx.out.info(
      ctx.out.paint(
        "bold",
        `${title}: leader ${leader}, ${q.voters} voters, failure tolerance ${q.failureTolerance}, ${q.healthy ? "healthy" : "unhealthy"}`,
      ),
    );
    const rows = [["SERVER", "ADDRESS", "STATUS", "VOTER", "LEADER", "HEALTHY", "VERSION"]];
    for (const sv of q.servers) {
      rows.push([
        sv.name,
        sv.address,
        sv.status,
        sv.voter ? "yes" : "no",
        sv.leader ? "yes" : "",
        sv.healthy ? "yes" : "no",
        sv.version,
      ]);
    }
    ctx.out.info(table(rows));
    ctx.out.info("");
  }
  const rows = [["HOST", "ROLES", "CONSUL", "NOMAD", "SERVICES"]];
  for (const n of s.nodes) {
    const fmt = (x: { status: string; version: string } | null) => (x ? `${x.status} ${x.version}` : "-");
    const services = n.services.map((x) => `${x.name} ${x.status}`).join(", ") || "-";
    rows.push([n.name, n.roles.join(","), fmt(n.consul), fmt(n.nomad), services]);
  }
  ctx.out.info(table(rows));
  if (s.healthy) ctx.out.info("\nhealthy");
}
