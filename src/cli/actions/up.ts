import type { Change } from "../../cluster/changes.js";
import { converge } from "../../cluster/run.js";
import { clusterSummary } from "../../cluster/summary.js";
import { loadInventory } from "../../inventory/index.js";
import { counted } from "../../output/counted.js";
import type { CommandContext } from "../context.js";

/** `np up`: converges the cluster and prints each change as it is made. */
export async function up(ctx: CommandContext, quorumTimeoutMs = 180_000): Promise<Change[]> {
  const { inventory, warnings } = await loadInventory(ctx.inventoryPath);
  for (const w of warnings) ctx.out.warn(w);
  const started = Date.now();
  const changes = await converge(inventory, ctx.out, ctx.signal, {
    dryRun: false,
    quorumTimeoutMs,
    onChange: (c) => ctx.out.host(c.host, `${c.kind} ${c.target}: ${c.detail}`),
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const hosts = new Set(changes.map((c) => c.host)).size;
  if (ctx.out.json) ctx.out.data({ changes });
  else if (changes.length === 0)
    ctx.out.info(`cluster ${inventory.cluster.name} is up to date: nothing changed (${secs}s)`);
  else {
    ctx.out.info(
      `cluster ${inventory.cluster.name} is up: ${counted(changes.length, "change")} on ${counted(hosts, "host")} (${secs}s)`,
    );
    for (const line of clusterSummary(inventory)) ctx.out.info(line);
  }
  return changes;
}
