import path from "node:path";
import { NomadAclApi } from "../../api/nomad-acl.js";
import { desiredHost } from "../../components/index.js";
import { isNomadSecret, nomadAcl } from "../../components/nomad/index.js";
import { OperationError } from "../../errors.js";
import { SecretStore } from "../../secrets/index.js";
import { loadClusterSecrets } from "../cluster-secrets.js";
import { type Phase, type RunContext, withRole } from "../context.js";
import { eachHost } from "../each-host.js";
import { type NomadAclAction, nomadAclActions, readNomadAcl } from "../nomad-acl.js";
import { convergeFile } from "./write-files.js";

/**
 * np's policies and client tokens exist in Nomad exactly as np wants them: created once, put back when changed
 * by hand, untouched otherwise. Nomad makes a new token's SecretID: np saves it in .np/secrets at once, then
 * rewrites the files that hold it (np-agent's config) before the agents start or restart.
 */
export const nomadAclTokens: Phase = {
  title: "Nomad ACL policies and tokens",
  // A dry run before the bootstrap has no token to read Nomad's ACLs with: the bootstrap's entry says it all.
  shouldRun: (ctx) => ctx.nomadAclReady === true,
  async run(ctx) {
    const secrets = ctx.secrets;
    if (!secrets) return;
    const desired = nomadAcl(ctx.inv);
    let lastError: unknown = new OperationError("no Nomad server to read the ACLs from");
    // Through the first server whose Nomad answers.
    const servers = withRole(ctx, "server");
    for (const h of servers) {
      const api = new NomadAclApi(ctx.tunnels.for("nomad", h.conn, h.spec.privateAddress));
      const read = () => readNomadAcl(api, desired, secrets);
      let actions: NomadAclAction[];
      try {
        // The first server's answer may have been read beside the gathering (early-reads.ts).
        actions = nomadAclActions(
          desired,
          await (h === servers[0] ? ctx.early.take("nomad acl", read) : read()),
        );
      } catch (err) {
        lastError = err;
        continue;
      }
      let created = false;
      for (const a of actions)
        await ctx.gate.wet(
          { host: h.spec.name, kind: "credential", target: `nomad ${a.kind}`, detail: `${a.kind} ${a.name}` },
          async () => {
            const secret = await a.apply(api);
            if (!a.secret) return;
            await saveSecret(ctx, a.secret, secret);
            created = true;
          },
        );
      if (created) await giveHostsTheTokens(ctx);
      return;
    }
    // `np plan` of a cluster whose Nomad does not answer lists what it can; `np up` must not go on blind.
    if (!ctx.gate.dryRun) throw lastError;
  },
};

/** Saves the SecretID Nomad made for a token (before anything uses it). */
async function saveSecret(ctx: RunContext, name: string, secret: string | undefined): Promise<void> {
  if (!secret)
    throw new OperationError(`Nomad created the token for ${name} but answered without its SecretID`);
  const spec = { name, valid: isNomadSecret, describe: "a Nomad ACL token (a UUID)" };
  await new SecretStore(path.join(ctx.inv.dir, ".np")).save(spec, secret);
}

/**
 * Renders every host again with the saved tokens and writes what changed (a unit whose file changed owes a restart:
 * start-services starts or restarts it after this phase). The connection's known state makes the rest no-ops.
 */
async function giveHostsTheTokens(ctx: RunContext): Promise<void> {
  const { secrets } = await loadClusterSecrets(ctx.inv);
  ctx.secrets = secrets;
  await eachHost(ctx, ctx.hosts, async (host) => {
    // At the host's migration stages, if it is migrating (cluster/migrate/): a token must not move it ahead.
    host.desired = desiredHost(ctx.inv, host.spec, secrets, host.stages);
    for (const file of host.desired.files) await convergeFile(ctx, host, file);
  });
}
