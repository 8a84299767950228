import { NOMAD_MANAGEMENT } from "../../components/nomad/index.js";
import { lostServers } from "../cluster-quorum.js";
import { type Phase, withRole } from "../context.js";
import { bootstrapNomadAcl, isNomadManagement } from "../nomad-acl-bootstrap.js";

/**
 * Nomad's ACLs are bootstrapped once, as soon as the servers elect a leader, with the management SecretID np made
 * and saved in .np/secrets beforehand. Every run asks first whether that secret is Nomad's management token (one
 * request): then there is nothing to do.
 */
export const nomadAclBootstrap: Phase = {
  title: "Nomad ACL bootstrap",
  // Once per run: a migration bootstraps earlier, while its servers restart with ACLs on (`np plan` lists it once).
  shouldRun: (ctx) => !ctx.gate.changes.some((c) => c.target === "nomad acl bootstrap"),
  async run(ctx) {
    const servers = withRole(ctx, "server");
    const first = servers[0];
    if (!first || !ctx.secrets) return;
    const secret = ctx.secrets.get(NOMAD_MANAGEMENT.name).reveal();
    const apis = servers.map((h) => ctx.tunnels.for("nomad", h.conn, h.spec.privateAddress));
    if (await ctx.early.take("nomad management", () => isNomadManagement(apis, secret))) {
      ctx.nomadAclReady = true;
      return;
    }
    await ctx.gate.wet(
      {
        host: first.spec.name,
        kind: "credential",
        target: "nomad acl bootstrap",
        detail: "bootstrap Nomad's ACLs once, with the management token in .np/secrets/nomad-management",
      },
      async () => {
        const bootstrapped = await bootstrapNomadAcl(apis, secret, {
          timeoutMs: ctx.quorumTimeoutMs,
          signal: ctx.signal,
          giveUp: () => lostServers(ctx),
          onWait: (why, ms) =>
            ctx.out.info(`still waiting to bootstrap Nomad's ACLs (${Math.round(ms / 1000)} s): ${why}`),
        });
        if (bootstrapped)
          ctx.out.info(
            "Nomad's ACLs are bootstrapped: the management token is in .np/secrets/nomad-management",
          );
        ctx.nomadAclReady = true;
      },
    );
  },
};
