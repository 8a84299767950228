import type { Change } from "../../cluster/changes.js";
import { converge } from "../../cluster/run.js";
import { loadInventory } from "../../inventory/index.js";
import { counted } from "../../output/counted.js";
import type { CommandContext } from "../context.js";

/** `np plan`: runs the phases of `np up` behind the dry-run gate and prints each host's changes. */
export async function plan(ctx: CommandContext): Promise<Change[]> {
  const { inventory, warnings } = await loadInventory(ctx.inventoryPath);
  for (const w of warnings) ctx.out.warn(w);
  const changes = await converge(inventory, ctx.out, ctx.signal, { dryRun: true });
  if (ctx.out.json) {
    ctx.out.data({ changes });
    return changes;
  }
  if (changes.length === 0) {
    ctx.out.info(`no changes: cluster ${inventory.cluster.name} matches the inventory`);
    return changes;
  }
  for (const host of inventory.hosts.map((h) => h.name)) {
    const mine = changes.filter((c) => c.host === host);
    if (mine.length === 0) continue;
    ctx.out.info(ctx.out.paint("bold", `${host}:`));
    for (const c of mine) {
      ctx.out.info(`  ${c.kind.padEnd(13)} ${c.target}: ${c.detail}`);
      if (c.diff) for (const line of c.diff.split("\n")) ctx.out.info(`      ${line}`);
    }
  }
  ctx.out.info(
    `\n${counted(changes.length, "change")} on ${counted(new Set(changes.map((c) => c.host)).size, "host")}; run \`np up\` to apply them`,
  );
  return changes;
}
