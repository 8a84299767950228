import { asRoot, shInline } from "../remote/command.js";
import type { HostRun, RunContext, Service } from "./context.js";

/** Where np records restarts it owes: a file per service, removed once the service restarted. */
export const PENDING_DIR = "/var/lib/np/restart-pending";

/**
 * Records, on the host, that a service must restart, before np changes its files. If the run is interrupted
 * between writing files and restarting, the next `np up` still restarts the service.
 */
export async function owesRestart(ctx: RunContext, host: HostRun, service: Service): Promise<void> {
  if (host.restart.has(service)) return;
  host.restart.add(service);
  if (ctx.gate.dryRun) return;
  await host.conn.run(
    asRoot(shInline('mkdir -p "$1" && touch "$1/$2"', [PENDING_DIR, service]), host.spec.ssh.user),
  );
}

/** Clears the record once the service has (re)started. */
export async function restartPaid(host: HostRun, service: Service): Promise<void> {
  host.restart.delete(service);
  await host.conn.run(asRoot(["rm", "-f", `${PENDING_DIR}/${service}`], host.spec.ssh.user));
}
