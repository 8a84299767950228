import type { NomadApi } from "../api/nomad.js";
import { NomadAclAlreadyBootstrapped, NomadAclApi } from "../api/nomad-acl.js";
import { askServersUntil } from "./ask-servers.js";
import type { BootstrapOptions } from "./consul-bootstrap.js";

/** Whether `secret` is a management token the first server that answers knows (no waiting). */
export async function isNomadManagement(apis: readonly NomadApi[], secret: string): Promise<boolean> {
  for (const api of apis) {
    try {
      return (await new NomadAclApi(api).self(secret))?.Type === "management";
    } catch {
      // This server does not answer (yet): ask the next.
    }
  }
  return false;
}

/**
 * Makes `secret` Nomad's management token: bootstraps the ACL system with it (`BootstrapSecret`) once a leader is
 * elected, through the first server that answers. Asks first whether the secret already is one (a run interrupted
 * after the bootstrap, or a bootstrap whose answer was lost): then there is nothing to do. Returns whether this call
 * bootstrapped. A cluster bootstrapped with another secret is NomadAclAlreadyBootstrapped at once.
 */
export async function bootstrapNomadAcl(
  apis: readonly NomadApi[],
  secret: string,
  opts: BootstrapOptions,
): Promise<boolean> {
  const asked = {
    what: "Nomad's ACL bootstrap",
    failed: "Nomad's ACLs could not be bootstrapped",
    unit: "nomad",
    final: (err: unknown) => err instanceof NomadAclAlreadyBootstrapped,
  };
  return askServersUntil<NomadApi, boolean>(apis, asked, opts, async (api) => {
    const acl = new NomadAclApi(api);
    // Asked of the leader: a server without one answers 500 "No cluster leader".
    const me = await acl.self(secret);
    if (me?.Type === "management") return { done: false };
    if ((await api.leader()) === "") return { notYet: "no Nomad leader yet" };
    await acl.bootstrap(secret);
    return { done: true };
  });
}
