import { loadInventory } from "../../inventory/index.js";
import { type RotateResult, type Rotation, rotate } from "../../rotate/run.js";
import type { CommandContext } from "../context.js";

/** `np rotate <secret>`: rotates it and prints each change as it is made, then what changed on each host. */
export async function rotateSecret(
  ctx: CommandContext,
  what: Rotation,
  quorumTimeoutMs = 180_000,
): Promise<RotateResult> {
  const { inventory, warnings } = await loadInventory(ctx.inventoryPath);
  for (const w of warnings) ctx.out.warn(w);
  const started = Date.now();
  const result = await rotate(inventory, ctx.out, ctx.signal, what, {
    quorumTimeoutMs,
    onChange: (c) => ctx.out.host(c.host, `${c.kind} ${c.target}: ${c.detail}`),
  });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const order = inventory.hosts.map((h) => h.name);
  if (ctx.out.json)
    ctx.out.data({
      rotated: what,
      steps: result.report.steps,
      hosts: Object.fromEntries(order.map((h) => [h, result.report.hosts.get(h) ?? []])),
      changes: result.changes,
    });
  else {
    ctx.out.info(`cluster ${inventory.cluster.name}: ${what} rotated (${secs}s)`);
    for (const line of result.report.summary(order)) ctx.out.info(line);
  }
  return result;
}
