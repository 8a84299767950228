import { consulMemberStatus } from "../../api/consul.js";
import { OperationError } from "../../errors.js";
import { type Phase, withRole } from "../context.js";
import { pollUntil } from "../quorum.js";

/** Checks that every host joined Consul and every client registered with Nomad. */
export const verifyMembers: Phase = {
  title: "verify members",
  shouldRun: (ctx) => !ctx.gate.dryRun,
  async run(ctx) {
    const server = withRole(ctx, "server")[0];
    if (!server) return;
    const consul = ctx.tunnels.for("consul", server.conn, server.spec.privateAddress);
    const nomad = ctx.tunnels.for("nomad", server.conn, server.spec.privateAddress);
    const allHosts = ctx.hosts.map((h) => h.spec.name);
    const clients = withRole(ctx, "client").map((h) => h.spec.name);
    const missing = { consul: allHosts, nomad: clients };
    const r = await pollUntil(
      async () => {
        const alive = new Set(
          (await consul.members()).filter((m) => consulMemberStatus(m.Status) === "alive").map((m) => m.Name),
        );
        const ready = new Set((await nomad.nodes()).filter((n) => n.Status === "ready").map((n) => n.Name));
        missing.consul = allHosts.filter((h) => !alive.has(h));
        missing.nomad = clients.filter((h) => !ready.has(h));
        return missing.consul.length + missing.nomad.length;
      },
      (n) => n === 0,
      { timeoutMs: ctx.quorumTimeoutMs, intervalMs: 500, signal: ctx.signal, readingsInARow: 1 },
    );
    if (!r.ok) {
      const parts = [];
      if (missing.consul.length) parts.push(`not alive in Consul: ${missing.consul.join(", ")}`);
      if (missing.nomad.length) parts.push(`not ready in Nomad: ${missing.nomad.join(", ")}`);
      throw new OperationError(
        `hosts did not join the cluster: ${parts.join("; ")}`,
        "check `journalctl -u consul -u nomad` on those hosts",
      );
    }
    ctx.out.info(
      `all ${allHosts.length} hosts are Consul members; ${clients.length} Nomad clients are ready`,
    );
  },
};
