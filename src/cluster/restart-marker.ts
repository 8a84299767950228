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

/** Records, likewise, that a unit must reload (a marker `<unit>.reload`), before np changes the file. */
export async function owesReload(ctx: RunContext, host: HostRun, unit: string): Promise<void> {
  if (host.reload.has(unit)) return;
  host.reload.add(unit);
  await ctx.gate.bookkeeping(() =>
    host.conn.run(
      asRoot(shInline('mkdir -p "$1" && touch "$1/$2.reload"', [PENDING_DIR, unit]), host.spec.ssh.user),
      { doing: `recording that ${unit} must reload` },
    ),
  );
}

/** Clears the reload record once the unit reloaded (or restarted, which reads everything anew). */
export async function reloadPaid(ctx: RunContext, host: HostRun, unit: string): Promise<void> {
  if (!host.reload.delete(unit)) return;
  await ctx.gate.bookkeeping(() =>
    host.conn.run(asRoot(["rm", "-f", `${PENDING_DIR}/${unit}.reload`], host.spec.ssh.user), {
      doing: `clearing the reload record of ${unit}`,
    }),
  );
}

/** Clears the record once the unit has (re)started. */
export async function restartPaid(ctx: RunContext, host: HostRun, unit: string): Promise<void> {
  host.restart.delete(unit);
  // A (re)started unit has read every file anew: a reload it owed is paid too.
  await reloadPaid(ctx, host, unit);
  await ctx.gate.bookkeeping(() =>
    host.conn.run(asRoot(["rm", "-f", `${PENDING_DIR}/${unit}`], host.spec.ssh.user), {
      doing: `clearing the restart record of ${unit}`,
    }),
  );
}
