import path from "node:path";
import { ConsulAclApi } from "../../api/consul-acl.js";
import { consulAcl } from "../../components/consul/index.js";
import { aclActions, readAcl } from "../consul-acl.js";
import { type Phase, withRole } from "../context.js";
import { policyCacheFor } from "../policy-cache.js";

/**
 * Every token np rendered into a file exists in Consul with exactly its policies: created once (with the SecretID
 * np generated, so no file changes and nothing restarts), repaired when changed, untouched otherwise. The agents
 * that held the token before it existed are denied until then and retry by themselves.
 */
export const consulAclTokens: Phase = {
  title: "Consul ACL policies and tokens",
  // A dry run before the bootstrap has no token to read Consul's ACLs with: the bootstrap's entry says it all.
  shouldRun: (ctx) => ctx.tunnels.consulAccess.token !== undefined,
  async run(ctx) {
    const secrets = ctx.secrets;
    const server = withRole(ctx, "server")[0];
    if (!secrets || !server) return;
    const desired = consulAcl(ctx.inv);
    const cache = await policyCacheFor(path.join(ctx.inv.dir, ".np"));
    // Through the first server whose Consul answers.
    const servers = withRole(ctx, "server");
    let lastError: unknown;
    for (const h of servers) {
      const api = new ConsulAclApi(ctx.tunnels.for("consul", h.conn, h.spec.privateAddress).json);
      const read = () =>
        readAcl(
          api,
          desired.policies.map((p) => p.name),
          undefined,
          cache,
        );
      let actions: ReturnType<typeof aclActions>;
      try {
        // The first server's answer may have been read beside the gathering (early-reads.ts).
        actions = aclActions(
          desired,
          await (h === server ? ctx.early.take("consul acl", read) : read()),
          secrets,
        );
      } catch (err) {
        lastError = err;
        continue;
      }
      // Policies before the tokens that name them.
      for (const a of actions)
        await ctx.gate.wet(
          {
            host: h.spec.name,
            kind: "credential",
            target: `consul ${a.kind}`,
            detail: `${a.kind} ${a.name}`,
          },
          () => a.apply(api),
        );
      // np's own record of what it read, for the next run (a dry run keeps nothing).
      await ctx.gate.bookkeeping(() => cache.save());
      return;
    }
    // `np plan` of a cluster whose Consul does not answer lists what it can; `np up` must not go on blind.
    if (!ctx.gate.dryRun) throw lastError;
  },
};
