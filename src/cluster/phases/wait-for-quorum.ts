import { COMPONENTS } from "../../components/index.js";
import { OperationError } from "../../errors.js";
import { waitForQuorate } from "../cluster-quorum.js";
import { type HostRun, type Phase, type RunContext, withRole } from "../context.js";
import type { RaftService } from "../quorum.js";
import { journalTail } from "../unit-health.js";

/** The Raft services of the inventory's components (Consul, Nomad), waited for in parallel. */
const raftServices = (): RaftService[] => COMPONENTS.flatMap((c) => (c.raft ? [c.raft] : []));

/** Waits until every Raft service has a leader and every server is a healthy voter. */
export const waitForQuorum: Phase = {
  title: "wait for quorum",
  shouldRun: (ctx) => !ctx.gate.dryRun,
  async run(ctx) {
    const servers = withRole(ctx, "server");
    // Nothing (re)started in this run: one healthy reading is proof enough; otherwise it must hold.
    const readingsInARow = ctx.gate.startedAnything ? 2 : 1;
    const services = raftServices();
    const readings = await Promise.all(
      services.map((s) => waitForQuorate(ctx, s, ctx.quorumTimeoutMs, { readingsInARow, early: true })),
    );
    for (const [i, service] of services.entries()) {
      const r = readings[i];
      if (r?.ok && r.last) {
        ctx.out.info(
          `${service}: leader ${r.last.leader}, ${r.last.voters} voters, failure tolerance ${r.last.failureTolerance}`,
        );
        continue;
      }
      const report = await diagnose(ctx, service, servers);
      const why = r?.gaveUp
        ? `np stopped waiting: ${r.gaveUp}`
        : `no healthy quorum after ${Math.round(ctx.quorumTimeoutMs / 1000)}s`;
      throw new OperationError(
        `${service}: ${why}:\n${report}`,
        "fix what the journal shows (or bring the host back) and run `np up` again; it continues from where it stopped",
      );
    }
  },
};

/**
 * Which servers see which peers, and the journal tail of every unit that is not running or not answering. A
 * server np cannot reach any more is named as such; it never replaces the diagnosis of the others.
 */
async function diagnose(ctx: RunContext, service: RaftService, servers: HostRun[]): Promise<string> {
  const lines = await Promise.all(
    servers.map(async (h) => {
      if (h.conn.isLost) return ` - ${h.spec.name}: connection lost (the host is down or unreachable)`;
      try {
        let seen: string;
        let failing = false;
        try {
          const peers = await ctx.tunnels.for(service, h.conn, h.spec.privateAddress).peers();
          seen = `sees peers ${peers.length > 0 ? peers.join(", ") : "(none)"}`;
        } catch (err) {
          seen = `API not answering (${(err as Error).message})`;
          failing = true;
        }
        const active = (await h.conn.exec(["systemctl", "is-active", `${service}.service`])).stdout.trim();
        failing ||= active !== "active";
        const journal = failing ? `\n${await journalTail(h, service)}` : "";
        return ` - ${h.spec.name}: ${service} ${active}, ${seen}${journal}`;
      } catch (err) {
        return ` - ${h.spec.name}: cannot be diagnosed: ${(err as Error).message}`;
      }
    }),
  );
  return lines.join("\n");
}
