import { asRoot, shInline } from "../remote/command.js";
import type { HostRun, RunContext } from "./context.js";
import { PENDING_DIR } from "./state-script.js";

/**
 * Records, on the host, that a unit must restart, before np changes its files. If the run is interrupted
 * between writing files and restarting, the next `np up` still restarts it.
 */
export async function owesRestart(ctx: RunContext, host: HostRun, unit: string): Promise<void> {
  if (host.restart.has(unit)) return;
  host.restart.add(unit);
  await ctx.gate.bookkeeping(() =>
    host.conn.run(
      asRoot(shInline('mkdir -p "$1" && touch "$1/$2"', [PENDING_DIR, unit]), host.spec.ssh.user),
      {
        doing: `recording that ${unit} must restart`,
      },
    ),
  );
}

/** Clears the record once the unit has (re)started. */
export async function restartPaid(ctx: RunContext, host: HostRun, unit: string): Promise<void> {
  host.restart.delete(unit);
  await ctx.gate.bookkeeping(() =>
    host.conn.run(asRoot(["rm", "-f", `${PENDING_DIR}/${unit}`], host.spec.ssh.user), {
      doing: `clearing the restart record of ${unit}`,
    }),
  );
}
