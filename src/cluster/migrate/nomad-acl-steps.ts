import { NOMAD_MANAGEMENT } from "../../components/nomad/index.js";
import { lostServers } from "../cluster-quorum.js";
import { type RunContext, withRole } from "../context.js";
import { bootstrapNomadAcl } from "../nomad-acl-bootstrap.js";
import { nomadAclTokens } from "../phases/nomad-acl-tokens.js";

/** The change np's Nomad ACL bootstrap is listed as (the phase of a fresh cluster lists the same). */
export const NOMAD_BOOTSTRAP_TARGET = "nomad acl bootstrap";

/**
 * Nomad's ACL bootstrap on a running cluster, while its servers restart with ACLs on: ACL.Bootstrap answers "ACL
 * support disabled" until the leader has ACLs on (nomad/acl_endpoint.go checks it on the server that handles the
 * call), and from that moment every request np makes with its management secret is refused until the bootstrap
 * makes that secret Nomad's: so np asks from the first server's restart on, once a second, and bootstraps the
 * moment a leader allows it (the restarted servers' quorum gate reads Nomad with that secret).
 */
export async function bootstrapWhenLeaderAllows(ctx: RunContext): Promise<void> {
  const servers = withRole(ctx, "server");
  const first = servers[0];
  if (!first || !ctx.secrets) return;
  const secret = ctx.secrets.get(NOMAD_MANAGEMENT.name).reveal();
  await ctx.gate.wet(
    {
      host: first.spec.name,
      kind: "credential",
      target: NOMAD_BOOTSTRAP_TARGET,
      detail:
        "bootstrap Nomad's ACLs once (as soon as a leader has them on), with the management token in .np/secrets/nomad-management",
    },
    async () => {
      const apis = servers.map((h) => ctx.tunnels.for("nomad", h.conn, h.spec.privateAddress));
      const bootstrapped = await bootstrapNomadAcl(apis, secret, {
        // Every server restarts meanwhile, each behind its own gate.
        timeoutMs: ctx.quorumTimeoutMs * (servers.length + 1),
        signal: ctx.signal,
        giveUp: () => lostServers(ctx),
      });
      if (bootstrapped)
        ctx.out.info(
          "Nomad's ACLs are bootstrapped: the management token is in .np/secrets/nomad-management",
        );
      ctx.nomadAclReady = true;
    },
  );
}

/** Once every server has ACLs on and np's secret is Nomad's: np's policies and tokens, before a client moves. */
export async function makeNomadTokens(ctx: RunContext): Promise<void> {
  if (nomadAclTokens.shouldRun?.(ctx) !== false) await nomadAclTokens.run(ctx);
}
