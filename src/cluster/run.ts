import path from "node:path";
import { InputError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import { Session } from "../remote/session.js";
import { ApiTunnels } from "./apis.js";
import { type Change, ChangeGate } from "./changes.js";
import type { Phase, RunContext } from "./context.js";
import { EarlyReads, startEarlyReads } from "./early-reads.js";
import { acquireClusterLock, type ClusterLock } from "./lock.js";
import { detectSecurityStages } from "./migrate/detect-stages.js";
import { finishSecurity, migrateSecurity } from "./migrate/phases.js";
import { consulAclBootstrap } from "./phases/consul-acl-bootstrap.js";
import { consulAclTokens } from "./phases/consul-acl-tokens.js";
import { fetchArtifactsPhase, prefetchAmd64 } from "./phases/fetch-artifacts.js";
import { gather } from "./phases/gather.js";
import { ingestCredential } from "./phases/ingest-credential.js";
import { installBinaries } from "./phases/install-binaries.js";
import { loadSecrets } from "./phases/load-secrets.js";
import { nomadAclBootstrap } from "./phases/nomad-acl-bootstrap.js";
import { nomadAclTokens } from "./phases/nomad-acl-tokens.js";
import { preflight } from "./phases/preflight.js";
import { startConsulServers } from "./phases/start-consul-servers.js";
import { startNomadServers } from "./phases/start-nomad-servers.js";
import { startServices } from "./phases/start-services.js";
import { usersAndDirs } from "./phases/users-and-dirs.js";
import { verifyMembers } from "./phases/verify-members.js";
import { waitForQuorum } from "./phases/wait-for-quorum.js";
import { writeConfigs, writeUnits } from "./phases/write-files.js";

/** Phases that only read: they run while the cluster lock is being taken. */
export const READ_PHASES: Phase[] = [loadSecrets, gather, detectSecurityStages];

/** np up's reads: the same, and the cluster APIs read beside the gathering (for a run that changes nothing). */
const UP_READ_PHASES: Phase[] = [loadSecrets, startEarlyReads, gather, detectSecurityStages];

/** The provisioning flow of design.md after the reads, one phase per step; `np plan` runs them as a dry run. */
export const UP_PHASES: Phase[] = [
  preflight,
  fetchArtifactsPhase,
  usersAndDirs,
  installBinaries,
  // A cluster made by an earlier np: Consul moved to TLS and ACLs that still allow, its tokens made (see migrate/).
  migrateSecurity,
  writeConfigs,
  writeUnits,
  // Consul's servers, its ACLs and every token before anything else starts: clients need their tokens to start.
  startConsulServers,
  consulAclBootstrap,
  consulAclTokens,
  // Then Nomad's servers, its ACLs and the tokens np-agent's config holds, before the rest starts.
  startNomadServers,
  nomadAclBootstrap,
  nomadAclTokens,
  startServices,
  // ... and, once every service restarted with its token, ACLs that deny.
  finishSecurity,
  waitForQuorum,
  ingestCredential,
  verifyMembers,
];

export interface RunOptions {
  dryRun: boolean;
  quorumTimeoutMs?: number;
  onChange?: (change: Change) => void;
}

/** Runs the phases in order, skipping those that say so. */
export async function runPhases(ctx: RunContext, phases: Phase[]): Promise<void> {
  for (const phase of phases) {
    if (phase.shouldRun && !phase.shouldRun(ctx)) continue;
    const started = Date.now();
    await phase.run(ctx);
    ctx.out.debug(`${phase.title}: ${Date.now() - started} ms`);
  }
}

/** Converges the cluster to the inventory (or, dry, lists what that would change). Returns the changes. */
export async function converge(
  inv: Inventory,
  out: Output,
  signal: AbortSignal,
  opts: RunOptions,
): Promise<Change[]> {
  return withCluster(
    inv,
    out,
    signal,
    {
      ...opts,
      command: opts.dryRun ? "np plan" : "np up",
      beforeRead: prefetchAmd64,
      readPhases: UP_READ_PHASES,
    },
    async (ctx) => {
      await runPhases(ctx, UP_PHASES);
      return ctx.gate.changes;
    },
  );
}

/** What a run over the cluster is: `np up`, `np plan`, `np rotate …`. */
export interface ClusterRunOptions extends RunOptions {
  /** Names the run in the cluster lock ("np up", "np rotate gossip"). */
  command: string;
  /** Started before the hosts are read (np up fetches artifacts meanwhile). */
  beforeRead?: (ctx: RunContext) => void;
  /** The phases that read, before `work` (default: READ_PHASES). */
  readPhases?: Phase[];
}

/**
 * A run over the whole cluster: its SSH session and API tunnels, the cluster lock (a dry run takes none), the
 * secrets loaded and every host gathered, then `work`; everything is released however it ends.
 */
export async function withCluster<T>(
  inv: Inventory,
  out: Output,
  signal: AbortSignal,
  opts: ClusterRunOptions,
  work: (ctx: RunContext) => Promise<T>,
): Promise<T> {
  const servers = inv.hosts.filter((h) => h.roles.includes("server"));
  if (servers.length === 0) throw new InputError("the inventory has no server");
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  const gate = new ChangeGate(opts.dryRun, opts.onChange);
  const ctx: RunContext = {
    inv,
    out,
    signal,
    gate,
    session,
    hosts: [],
    artifacts: [],
    // Two connections per tunnel: np up's reads come in bursts of short requests (the early reads: ~15 at once),
    // and each further connection is an SSH channel and a TLS handshake for np and the server.
    tunnels: new ApiTunnels({}, {}, { connections: 2 }),
    early: new EarlyReads(gate),
    quorumTimeoutMs: opts.quorumTimeoutMs ?? 180_000,
  };
  // The lock is np's own bookkeeping: a dry run does not take it. Taken while the hosts are read (reads are safe
  // under another run), awaited before the first change.
  const locking = gate.bookkeeping(() => acquireClusterLock(session, servers, opts.command));
  locking.catch(() => {});
  // Every host's SSH handshake starts now, beside the lock and the secrets (local work that does not need the
  // hosts): gathering awaits these same connections, and reports a host that cannot be reached.
  for (const spec of inv.hosts) session.connect(spec).catch(() => {});
  let lock: ClusterLock | undefined;
  try {
    opts.beforeRead?.(ctx);
    const reading = runPhases(ctx, opts.readPhases ?? READ_PHASES);
    reading.catch(() => {});
    lock = await locking;
    await reading;
    return await work(ctx);
  } finally {
    ctx.prefetch?.stop();
    lock ??= await locking.catch(() => undefined);
    if (lock) {
      const stuck = await lock.release();
      // After Ctrl-C the connections are already closed, which is what releases the lock: nothing to confirm.
      if (stuck.length > 0 && !signal.aborted)
        out.warn(
          `could not confirm the cluster lock's release on ${stuck.join(", ")}: it frees itself within 30 s`,
        );
    }
    for (const [host, n] of await session.roundTrips())
      out.debug(`${host}: ${n} round trips over 1 SSH connection`);
    await ctx.tunnels.close();
    await session.close();
  }
}
