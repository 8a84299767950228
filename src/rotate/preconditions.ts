import { consulMemberStatus } from "../api/consul.js";
import { readClusterQuorum } from "../cluster/cluster-quorum.js";
import { type RunContext, withRole } from "../cluster/context.js";
import { isQuorate, type RaftService, whyNotQuorate } from "../cluster/quorum.js";
import { OperationError } from "../errors.js";
import { pendingBesides } from "./pass.js";

/**
 * A rotation reaches every member at once (a keyring change is a Serf query; a CA every host must
 * hold): it starts only on a cluster whose quorums are healthy and whose every host is an alive member, so no
 * host is left behind with a secret the others no longer accept.
 */
export async function requireHealthy(ctx: RunContext, services: readonly RaftService[]): Promise<void> {
  const why: string[] = [];
  const servers = withRole(ctx, "server").length;
  for (const service of services) {
    try {
      const q = await readClusterQuorum(ctx, service);
      if (!isQuorate(q, servers))
        why.push(`the ${service} quorum is not healthy: ${whyNotQuorate(q, servers)}`);
    } catch (err) {
      why.push(`cannot read the ${service} quorum: ${(err as Error).message}`);
    }
  }
  const via = withRole(ctx, "server")[0];
  if (via) {
    try {
      const members = await ctx.tunnels.for("consul", via.conn, via.spec.privateAddress).members();
      for (const h of ctx.hosts) {
        const m = members.find((x) => x.Name === h.spec.name);
        if (!m) why.push(`${h.spec.name}: not a Consul member`);
        else if (m.Status !== 1) why.push(`${h.spec.name}: Consul member ${consulMemberStatus(m.Status)}`);
      }
    } catch (err) {
      why.push(`cannot read Consul's members: ${(err as Error).message}`);
    }
  }
  if (why.length > 0)
    throw new OperationError(
      `not rotating: every host must be an alive member of a healthy cluster:\n${why.map((w) => ` - ${w}`).join("\n")}`,
      "run `np status` to see what is missing, bring it back (`np up`), then `np rotate` again",
    );
}

/** Refuses a rotation on a cluster with changes `np up` has not made yet (other than the rotation's own). */
export function requireConverged(ctx: RunContext, before?: ReadonlyMap<string, string>): void {
  const pending = pendingBesides(ctx, before);
  if (pending.length === 0) return;
  const shown = pending.slice(0, 8).map((p) => ` - ${p}`);
  if (pending.length > 8) shown.push(` - … and ${pending.length - 8} more`);
  throw new OperationError(
    `not rotating: the cluster differs from the inventory (np rotate changes secrets only):\n${shown.join("\n")}`,
    "run `np up` first (`np plan` shows what it would change), then `np rotate` again",
  );
}
