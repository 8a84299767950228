import { openAppCluster } from "../../deploy/cluster.js";
import { type LogsOptions, showLogs } from "../../deploy/logs.js";
import { loadInventory } from "../../inventory/index.js";
import type { CommandContext } from "../context.js";

/** `np logs APP [-f] [--stderr] [--task T] [-n N] [--since D]`: lines go to stdout as they come. */
export async function logs(ctx: CommandContext, app: string, opts: LogsOptions): Promise<void> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const cluster = await openAppCluster(inventory, ctx.signal);
  try {
    await showLogs(cluster, app, opts, {
      print: (line) => process.stdout.write(`${line}\n`),
      signal: ctx.signal,
    });
  } finally {
    await cluster.close();
  }
}
