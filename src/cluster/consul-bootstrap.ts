import type { ConsulApi } from "../api/consul.js";
import { AclAlreadyBootstrapped, ConsulAclApi } from "../api/consul-acl.js";
import { OperationError } from "../errors.js";

export interface BootstrapOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  intervalMs?: number;
  /** A reason to stop at once (a server's connection is gone). */
  giveUp?: () => string | undefined;
  onWait?: (why: string, elapsedMs: number) => void;
}

/**
 * Bootstraps Consul's ACL system once a leader is elected, through the first server that answers: the management
 * token's SecretID. Servers that are still electing, or still in ACL "legacy mode" right after the election
 * (Consul 1.8 switches once every server is known to support the new ACLs), are asked again. A cluster that was
 * bootstrapped already is an AclAlreadyBootstrapped error at once: asking again would never help.
 */
export async function bootstrapAcl(apis: readonly ConsulApi[], opts: BootstrapOptions): Promise<string> {
  const started = Date.now();
  let why = "no server asked yet";
  let nextWord = started + 15_000;
  while (Date.now() - started < opts.timeoutMs && !opts.signal?.aborted) {
    const gaveUp = opts.giveUp?.();
    if (gaveUp) throw new OperationError(`Consul's ACL bootstrap stopped: ${gaveUp}`);
    for (const api of apis) {
      try {
        if ((await api.leader()) === "") {
          why = "no Consul leader yet";
          continue;
        }
        const acl = new ConsulAclApi(api.json);
        // Bootstrapped in legacy mode, the token would be a legacy one until Consul upgrades it: wait it out.
        if (await acl.inLegacyMode()) {
          why = "Consul's ACLs are still in legacy mode (the servers are switching to the new ACL system)";
          continue;
        }
        return await acl.bootstrap();
      } catch (err) {
        if (err instanceof AclAlreadyBootstrapped) throw err;
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
    `Consul's ACLs could not be bootstrapped within ${Math.round(opts.timeoutMs / 1000)} s: ${why}`,
    "check `journalctl -u consul` on the servers, then run `np up` again",
  );
}
