import { type Command, InvalidArgumentError } from "commander";
import type { Change } from "../../cluster/changes.js";
import { converge } from "../../cluster/run.js";
import { loadInventory } from "../../inventory/index.js";
import { type CommandContext, contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np up`: converge the cluster to the inventory. Safe to re-run: nothing changes when nothing differs. */
export const registerUp: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("up")
    .description(
      "install, configure and start Consul and Nomad on every host and form the Raft quorum (safe to re-run)",
    )
    .option("--quorum-timeout <seconds>", "how long to wait for quorum after starting services", seconds, 180)
    .action(async (opts: { quorumTimeout: number }, cmd: Command) => {
      await up(contextFrom(cmd, signal), opts.quorumTimeout * 1000);
    });
};

/** A positive number of seconds (a flag value); anything else is refused with exit 2 before anything runs. */
function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("expected a number of seconds greater than 0");
  return n;
}

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
  else
    ctx.out.info(
      `cluster ${inventory.cluster.name} is up: ${changes.length} changes on ${hosts} hosts (${secs}s)`,
    );
  return changes;
}
