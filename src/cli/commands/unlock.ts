import path from "node:path";
import type { Command } from "commander";
import { breakLock, describeHolder, readLock } from "../../cluster/lock.js";
import { InputError } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import { Session } from "../../remote/session.js";
import { type CommandContext, contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np unlock`: show who holds the cluster lock, and end a stuck run's hold with --yes. */
export const registerUnlock: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("unlock")
    .description(
      "show who holds the cluster lock; with --yes, end the hold of a stuck np run (a dead run frees it by itself)",
    )
    .action(async (_opts, cmd: Command) => {
      await unlock(contextFrom(cmd, signal));
    });
};

export async function unlock(ctx: CommandContext): Promise<void> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const servers = inventory.hosts.filter((h) => h.roles.includes("server"));
  if (servers.length === 0) throw new InputError("the inventory has no server");
  const session = await Session.create({ stateDir: path.join(inventory.dir, ".np"), signal: ctx.signal });
  try {
    const held = (
      await Promise.all(
        servers.map(async (s) => {
          try {
            const conn = await session.connect(s);
            const holder = await readLock(conn);
            if (holder === "free") return [];
            ctx.out.host(s.name, `locked by ${describeHolder(holder)}`);
            return [conn];
          } catch (err) {
            ctx.out.warn(`${(err as Error).message}`);
            return [];
          }
        }),
      )
    ).flat();
    if (held.length === 0) {
      ctx.out.info("the cluster is not locked");
      return;
    }
    if (!ctx.yes)
      throw new InputError(
        "not released: pass --yes to end that np run's hold on the lock (make sure it is stuck, not working)",
      );
    for (const conn of held) if (await breakLock(conn)) ctx.out.host(conn.name, "lock released");
  } finally {
    session.close();
  }
}
