import { type AppCluster, openAppCluster } from "../../deploy/cluster.js";
import { rollbackApp } from "../../deploy/rollback.js";
import { scaleApp } from "../../deploy/scale.js";
import { stopApp } from "../../deploy/stop.js";
import { loadInventory } from "../../inventory/index.js";
import type { CommandContext } from "../context.js";

/** Runs `fn` on the cluster of the inventory and prints its result with --json. */
async function onCluster<T>(ctx: CommandContext, fn: (cluster: AppCluster) => Promise<T>): Promise<T> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const cluster = await openAppCluster(inventory, ctx.signal);
  try {
    const result = await fn(cluster);
    if (ctx.out.json) ctx.out.data(result);
    return result;
  } finally {
    await cluster.close();
  }
}

/** `np scale APP COUNT`. */
export const scale = (ctx: CommandContext, app: string, count: number) =>
  onCluster(ctx, (c) => scaleApp(c, app, count, ctx));

/** `np stop APP [--purge]`. */
export const stop = (ctx: CommandContext, app: string, purge: boolean) =>
  onCluster(ctx, (c) => stopApp(c, app, purge, ctx));

/** `np rollback APP [VERSION]`. */
export const rollback = (ctx: CommandContext, app: string, version: number | undefined) =>
  onCluster(ctx, (c) => rollbackApp(c, app, version, ctx));
