import path from "node:path";
import { breakLock, describeHolder, readLock } from "../../cluster/lock.js";
import { InputError } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import type { SshConnection } from "../../remote/connection.js";
import { Session } from "../../remote/session.js";
import type { CommandContext } from "../context.js";

/**
 * `np unlock`: shows who holds the cluster lock on each server; with --yes, ends that hold (a stuck run's: a run
 * that is dead has already freed it, since the lock lives only as long as its SSH channels).
 */
export async function unlock(ctx: CommandContext): Promise<void> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const servers = inventory.hosts.filter((h) => h.roles.includes("server"));
  if (servers.length === 0) throw new InputError("the inventory has no server");
  const session = await Session.create({ stateDir: path.join(inventory.dir, ".np"), signal: ctx.signal });
  try {
    const held: SshConnection[] = [];
    await Promise.all(
      servers.map(async (s) => {
        try {
          const conn = await session.connect(s);
          const holder = await readLock(conn);
          if (holder === "free") return;
          ctx.out.host(s.name, `locked by ${describeHolder(holder)}`);
          held.push(conn);
        } catch (err) {
          ctx.out.warn((err as Error).message);
        }
      }),
    );
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
    await session.close();
  }
}
