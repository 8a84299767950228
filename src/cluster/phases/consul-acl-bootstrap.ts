import path from "node:path";
import { MANAGEMENT_TOKEN } from "../../components/consul/index.js";
import { SecretStore } from "../../secrets/index.js";
import { lostServers } from "../cluster-quorum.js";
import { bootstrapAcl } from "../consul-bootstrap.js";
import { type Phase, withRole } from "../context.js";

const BOOTSTRAP_TARGET = "consul acl bootstrap";

/**
 * Consul's ACLs are bootstrapped once, as soon as the servers elect a leader (before that, and before np holds the
 * management token, np could not even read the quorum: everything is denied without a token). The management
 * token is saved in .np/secrets before it is used; np's own API calls use it from then on.
 */
export const consulAclBootstrap: Phase = {
  title: "Consul ACL bootstrap",
  // Once per run: a migration bootstraps earlier, as soon as every server has ACLs on (`np plan` lists it once).
  shouldRun: (ctx) =>
    ctx.secrets?.find(MANAGEMENT_TOKEN.name) === undefined &&
    !ctx.gate.changes.some((c) => c.target === BOOTSTRAP_TARGET),
  async run(ctx) {
    const servers = withRole(ctx, "server");
    const first = servers[0];
    if (!first) return;
    await ctx.gate.wet(
      {
        host: first.spec.name,
        kind: "credential",
        target: BOOTSTRAP_TARGET,
        detail: "bootstrap Consul's ACLs once; keep the management token in .np/secrets/consul-management",
      },
      async () => {
        const secret = await bootstrapAcl(
          servers.map((h) => ctx.tunnels.for("consul", h.conn, h.spec.privateAddress)),
          {
            timeoutMs: ctx.quorumTimeoutMs,
            signal: ctx.signal,
            giveUp: () => lostServers(ctx),
            onWait: (why, ms) =>
              ctx.out.info(`still waiting to bootstrap Consul's ACLs (${Math.round(ms / 1000)} s): ${why}`),
          },
        );
        const token = await new SecretStore(path.join(ctx.inv.dir, ".np")).save(MANAGEMENT_TOKEN, secret);
        ctx.tunnels.consulAccess.token = token;
        const loaded = ctx.secrets;
        if (loaded)
          ctx.secrets = {
            get: (name) => (name === MANAGEMENT_TOKEN.name ? token : loaded.get(name)),
            find: (name) => (name === MANAGEMENT_TOKEN.name ? token : loaded.find(name)),
          };
        ctx.out.info(
          "Consul's ACLs are bootstrapped: the management token is in .np/secrets/consul-management",
        );
      },
    );
  },
};
