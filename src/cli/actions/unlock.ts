import path from "node:path";
import { describeHolder, readLock, releaseLock } from "../../cluster/lock.js";
import { InputError } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import { Session } from "../../remote/session.js";
import type { CommandContext } from "../context.js";

/** `np unlock`: shows who holds the cluster lock; releases it with --yes. */
export async function unlock(ctx: CommandContext): Promise<void> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const first = inventory.hosts.find((h) => h.roles.includes("server"));
  if (!first) throw new InputError("the inventory has no server");
  const session = await Session.create({ stateDir: path.join(inventory.dir, ".np"), signal: ctx.signal });
  try {
    const conn = await session.connect(first);
    const holder = await readLock(conn);
    if (holder === "free") {
      ctx.out.info("the cluster is not locked");
      return;
    }
    ctx.out.info(`the cluster is locked by ${describeHolder(holder)}`);
    if (!ctx.yes)
      throw new InputError(
        "not released: pass --yes to release the lock (make sure that np run is not running)",
      );
    await releaseLock(conn);
    ctx.out.info("lock released");
  } finally {
    session.close();
  }
}
