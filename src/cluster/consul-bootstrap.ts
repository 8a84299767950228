import type { ConsulApi } from "../api/consul.js";
import { AclAlreadyBootstrapped, ConsulAclApi } from "../api/consul-acl.js";
import { type AskServersOptions, askServersUntil } from "./ask-servers.js";

/** How long and how to wait for a bootstrap. */
export type BootstrapOptions = AskServersOptions;

/**
 * Bootstraps Consul's ACL system once a leader is elected, through the first server that answers: the management
 * token's SecretID. Servers that are still electing, or still in ACL "legacy mode" right after the election
 * (Consul 1.8 switches once every server is known to support the new ACLs), are asked again. A cluster that was
 * bootstrapped already is an AclAlreadyBootstrapped error at once: asking again would never help.
 */
export async function bootstrapAcl(apis: readonly ConsulApi[], opts: BootstrapOptions): Promise<string> {
  const asked = {
    what: "Consul's ACL bootstrap",
    failed: "Consul's ACLs could not be bootstrapped",
    unit: "consul",
    final: (err: unknown) => err instanceof AclAlreadyBootstrapped,
  };
  return askServersUntil<ConsulApi, string>(apis, asked, opts, async (api) => {
    if ((await api.leader()) === "") return { notYet: "no Consul leader yet" };
    const acl = new ConsulAclApi(api.json);
    // Bootstrapped in legacy mode, the token would be a legacy one until Consul upgrades it: wait it out.
    if (await acl.inLegacyMode())
      return {
        notYet: "Consul's ACLs are still in legacy mode (the servers are switching to the new ACL system)",
      };
    return { done: await acl.bootstrap() };
  });
}
