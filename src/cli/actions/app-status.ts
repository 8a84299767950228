import { openAppCluster } from "../../deploy/cluster.js";
import { type AppDetail, readAppDetail } from "../../deploy/status-app.js";
import { type AppRow, appTable, readApps } from "../../deploy/status-apps.js";
import { loadInventory } from "../../inventory/index.js";
import type { Inventory } from "../../inventory/types.js";
import type { Output } from "../../output/port.js";
import { table } from "../../preflight/report.js";
import type { CommandContext } from "../context.js";

/** `np status APP`: the app's deployment, instances, recent task events and versions. */
export async function appStatus(ctx: CommandContext, app: string): Promise<AppDetail> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const cluster = await openAppCluster(inventory, ctx.signal);
  try {
    const detail = await readAppDetail(cluster.nomad, app);
    if (ctx.out.json) ctx.out.data(detail);
    else printDetail(ctx.out, detail);
    return detail;
  } finally {
    await cluster.close();
  }
}

/** The apps for `np status` (no APP): their rows, or why Nomad could not be read (the cluster part says more). */
export async function appRows(
  inv: Inventory,
  signal: AbortSignal,
): Promise<{ apps: AppRow[] } | { apps: null; error: string }> {
  try {
    const cluster = await openAppCluster(inv, signal);
    try {
      return { apps: await readApps(cluster.nomad) };
    } finally {
      await cluster.close();
    }
  } catch (err) {
    return { apps: null, error: (err as Error).message.split("\n")[0] ?? "" };
  }
}

/** Prints the apps below the cluster's health. */
export function printApps(out: Output, r: Awaited<ReturnType<typeof appRows>>): void {
  if (r.apps === null) out.info(`apps: cannot be read from Nomad: ${r.error}`);
  else if (r.apps.length === 0) out.info("apps: none deployed yet (np init app, then np deploy)");
  else out.info(table(appTable(r.apps)));
}

function printDetail(out: Output, d: AppDetail): void {
  const a = d.app;
  out.info(
    out.paint(
      "bold",
      `${a.name}: version ${a.version}, ${a.stopped ? "stopped" : `${a.healthy} of ${a.desired} healthy, ${a.running} running`}${a.url ? `, ${a.url}` : ""}`,
    ),
  );
  out.info(
    d.deployment ? `deployment ${d.deployment.id.slice(0, 8)}: ${d.deployment.verdict}` : "no deployment",
  );
  out.info("");
  const rows = [["INSTANCE", "NODE", "VERSION", "STATE", "DESIRED", "HEALTH", "RESTARTS"]];
  for (const i of d.instances)
    rows.push([
      i.id.slice(0, 8),
      i.node,
      String(i.version),
      i.state,
      i.desired,
      i.health,
      String(i.restarts),
    ]);
  out.info(d.instances.length > 0 ? table(rows) : "no instances");
  out.info("");
  out.info("recent events:");
  for (const e of d.events) out.info(`  ${e.time} ${e.alloc} ${e.node}: ${e.event}`);
  if (d.events.length === 0) out.info("  none");
  out.info("");
  const vrows = [["VERSION", "STABLE", "SUBMITTED", "SPEC"]];
  for (const v of d.versions)
    vrows.push([
      `${v.version}${v.current ? " (current)" : ""}`,
      v.stable ? "yes" : "no",
      v.submitted,
      v.specSha256.slice(0, 12) || "-",
    ]);
  out.info(table(vrows));
}
