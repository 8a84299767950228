import { OperationError } from "../../errors.js";
import { type Phase, withRole } from "../context.js";
import { readMembers } from "../early-reads.js";
import { pollUntil } from "../quorum.js";
import { serviceOn } from "../status.js";

/**
 * Checks that every host joined Consul, every client registered with Nomad, and every component's Consul service
 * passes its checks on its hosts: np up ends only when `np status` would say healthy (a service restarted late in
 * the run, np-agent after its credential say, starts critical until its first check).
 */
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
    const services = ctx.hosts.flatMap((h) =>
      h.desired.components.flatMap((c) => (c.service ? [{ host: h.spec.name, service: c.service }] : [])),
    );
    const serviceNames = [...new Set(services.map((s) => s.service))];
    const missing = { consul: allHosts, nomad: clients, services: [] as string[] };
    // The first reading may be the one read beside the gathering (early-reads.ts).
    const read = ctx.early.firstFrom("members", () => readMembers(consul, nomad, serviceNames));
    const r = await pollUntil(
      async () => {
        const { consulAlive, nomadReady, health } = await read();
        missing.consul = allHosts.filter((h) => !consulAlive.has(h));
        missing.nomad = clients.filter((h) => !nomadReady.has(h));
        missing.services = services.flatMap(({ host, service }) => {
          // A service the reading did not ask about counts as not passing: the next reading asks.
          if (!health.has(service)) return [`${host}: ${service} not read`];
          const s = serviceOn(health.get(service) ?? [], service, host);
          return s.status === "passing"
            ? []
            : [`${host}: ${service} ${s.status}${s.output ? ` (${s.output})` : ""}`];
        });
        return missing.consul.length + missing.nomad.length + missing.services.length;
      },
      (n) => n === 0,
      { timeoutMs: ctx.quorumTimeoutMs, intervalMs: 500, signal: ctx.signal, readingsInARow: 1 },
    );
    if (!r.ok) {
      const parts = [];
      if (missing.consul.length) parts.push(`not alive in Consul: ${missing.consul.join(", ")}`);
      if (missing.nomad.length) parts.push(`not ready in Nomad: ${missing.nomad.join(", ")}`);
      if (parts.length > 0)
        throw new OperationError(
          `hosts did not join the cluster: ${parts.join("; ")}`,
          "check `journalctl -u consul -u nomad` on those hosts",
        );
      throw new OperationError(
        `services are not passing their checks: ${missing.services.join("; ")}`,
        "run `np status` to see them, and `journalctl -u <service>` on those hosts",
      );
    }
    ctx.out.info(
      `all ${allHosts.length} hosts are Consul members; ${clients.length} Nomad clients are ready`,
    );
  },
};
