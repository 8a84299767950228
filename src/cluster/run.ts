import path from "node:path";
import { InputError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import { Session } from "../remote/session.js";
import { ApiTunnels } from "./apis.js";
import { type Change, ChangeGate } from "./changes.js";
import type { Phase, RunContext } from "./context.js";
import { acquireLock, releaseLock } from "./lock.js";
import { fetchArtifactsPhase, prefetchAmd64 } from "./phases/fetch-artifacts.js";
import { gather } from "./phases/gather.js";
import { installBinaries } from "./phases/install-binaries.js";
import { loadSecrets } from "./phases/load-secrets.js";
import { preflight } from "./phases/preflight.js";
import { startServices } from "./phases/start-services.js";
import { usersAndDirs } from "./phases/users-and-dirs.js";
import { verifyMembers } from "./phases/verify-members.js";
import { waitForQuorum } from "./phases/wait-for-quorum.js";
import { writeConfigs, writeUnits } from "./phases/write-files.js";

/** The provisioning flow of design.md, one phase per step; `np plan` runs the same list as a dry run. */
export const UP_PHASES: Phase[] = [
  loadSecrets,
  gather,
  preflight,
  fetchArtifactsPhase,
  usersAndDirs,
  installBinaries,
  writeConfigs,
  writeUnits,
  startServices,
  waitForQuorum,
  verifyMembers,
];

export interface RunOptions {
  dryRun: boolean;
  quorumTimeoutMs?: number;
  onChange?: (change: Change) => void;
}

/** Converges the cluster to the inventory (or, dry, lists what that would change). Returns the changes. */
export async function converge(
  inv: Inventory,
  out: Output,
  signal: AbortSignal,
  opts: RunOptions,
): Promise<Change[]> {
  const firstServer = inv.hosts.find((h) => h.roles.includes("server"));
  if (!firstServer) throw new InputError("the inventory has no server");
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  const ctx: RunContext = {
    inv,
    out,
    signal,
    gate: new ChangeGate(opts.dryRun, opts.onChange),
    session,
    hosts: [],
    artifacts: [],
    tunnels: new ApiTunnels(),
    quorumTimeoutMs: opts.quorumTimeoutMs ?? 180_000,
  };
  let locked = false;
  try {
    if (!opts.dryRun) {
      const lockHost = await session.connect(firstServer);
      await acquireLock(lockHost, "np up", (m) => out.warn(m));
      locked = true;
    }
    prefetchAmd64(ctx);
    for (const phase of UP_PHASES) {
      if (phase.shouldRun && !phase.shouldRun(ctx)) continue;
      const started = Date.now();
      await phase.run(ctx);
      out.debug(`${phase.title}: ${Date.now() - started} ms`);
    }
    return ctx.gate.changes;
  } finally {
    ctx.prefetch?.stop();
    if (locked && !signal.aborted) await releaseLock(await session.connect(firstServer)).catch(() => {});
    for (const [host, n] of await session.roundTrips())
      out.debug(`${host}: ${n} round trips over 1 SSH connection`);
    await ctx.tunnels.close();
    session.close();
  }
}
