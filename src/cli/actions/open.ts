import path from "node:path";
import { forwardLocalPort } from "../../access/forward.js";
import { uiTarget } from "../../access/ui-targets.js";
import type { Ui } from "../../access/uis.js";
import { nomadAccessOf } from "../../cluster/apis.js";
import { HostError, HostsFailed } from "../../errors.js";
import { loadInventory } from "../../inventory/index.js";
import type { SshConnection } from "../../remote/connection.js";
import { Session } from "../../remote/session.js";
import type { CommandContext } from "../context.js";

/**
 * `np open <ui>`: forwards a local port to a cluster UI through SSH and keeps it until Ctrl-C. Returns once the
 * forward has ended (the signal aborted).
 */
export async function openUi(ctx: CommandContext, ui: Ui, opts: { port?: number }): Promise<void> {
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const target = uiTarget(inventory, ui);
  const session = await Session.create({ stateDir: path.join(inventory.dir, ".np"), signal: ctx.signal });
  try {
    // The first host that answers serves the UI (a server may be down).
    const failures: HostError[] = [];
    let via: { conn: SshConnection; host: (typeof target.hosts)[number] } | undefined;
    for (const host of target.hosts) {
      try {
        via = { conn: await session.connect(host), host };
        break;
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        failures.push(err);
      }
    }
    if (!via) throw new HostsFailed(failures);
    const remote = target.remote(via.host);
    // Nomad's HTTPS wants a client certificate of the cluster CA: np's (a cluster made before TLS has none).
    const tls = target.clientTls && (await nomadAccessOf(inventory, "management")).tls;
    const forward = await forwardLocalPort(
      via.conn,
      remote,
      opts.port ?? target.localPort,
      (m) => ctx.out.warn(`${via?.host.name}: ${m}`),
      tls ? { ...tls, host: remote.host } : undefined,
    );
    ctx.out.info(`${ui} on ${via.host.name}: http://127.0.0.1:${forward.port}${target.path}`);
    ctx.out.info(`log in: ${target.credentials}`);
    ctx.out.info("forwarded through SSH (nothing listens beyond this machine); Ctrl-C to stop");
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener("abort", () => resolve(), { once: true });
      via?.conn.lost.then(() => resolve());
    });
    await forward.close();
    if (via.conn.isLost)
      throw via.conn.lostError("forwarding the UI") ?? new HostError(via.host.name, "connection lost");
  } finally {
    await session.close();
  }
}
