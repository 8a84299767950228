import type { NomadApi } from "../api/nomad.js";
import { NomadAclAlreadyBootstrapped, NomadAclApi } from "../api/nomad-acl.js";
import { OperationError } from "../errors.js";
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
  const started = Date.now();
  let why = "no server asked yet";
  let nextWord = started + 15_000;
  while (Date.now() - started < opts.timeoutMs && !opts.signal?.aborted) {
    const gaveUp = opts.giveUp?.();
    if (gaveUp) throw new OperationError(`Nomad's ACL bootstrap stopped: ${gaveUp}`);
    for (const api of apis) {
      try {
        const acl = new NomadAclApi(api);
        // Asked of the leader: a server without one answers 500 "No cluster leader".
        const me = await acl.self(secret);
        if (me?.Type === "management") return false;
        if ((await api.leader()) === "") {
          why = "no Nomad leader yet";
          continue;
        }
        await acl.bootstrap(secret);
        return true;
      } catch (err) {
        if (err instanceof NomadAclAlreadyBootstrapped) throw err;
        why = (err as Error).message;
      }
    }
    if (opts.onWait && Date.now() >= nextWord) {
      opts.onWait(why, Date.now() - started);
      nextWord += 15_000;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
  throw new OperationError(
    `Nomad's ACLs could not be bootstrapped within ${Math.round(opts.timeoutMs / 1000)} s: ${why}`,
    "check `journalctl -u nomad` on the servers, then run `np up` again",
  );
}
