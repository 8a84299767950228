import { type Command, InvalidArgumentError } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";
import { seconds } from "./up.js";

// The same list as ROTATIONS in src/rotate/run.ts, written out: registering a command must not load what runs it.
const WHAT = ["gossip", "ca", "tokens"] as const;

/** `np rotate <gossip|ca|tokens>`: replace a cluster secret without downtime, and say what was done per host. */
export const registerRotate: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("rotate")
    .description("replace a cluster secret safely: the Consul gossip key, the cluster CA, or the ACL tokens")
    .argument("<secret>", `one of ${WHAT.join(", ")}`, (value: string) => {
      if (!(WHAT as readonly string[]).includes(value))
        throw new InvalidArgumentError(`expected one of ${WHAT.join(", ")}`);
      return value as (typeof WHAT)[number];
    })
    .option("--quorum-timeout <seconds>", "how long to wait for a quorum after each server", seconds, 180)
    .addHelpText(
      "after",
      `
  gossip   a new Consul gossip key: installed in every member's keyring, used, then the old one removed;
           every consul.hcl gets the new key (nodes added later join with it); nothing restarts
  ca       a new cluster CA: trusted beside the old one, every certificate issued again by it, then the old
           one dropped; Consul and Nomad reload (servers one at a time); only np-agent restarts on
           client hosts (it reads its certificate for Nomad at start)
  tokens   new SecretIDs for every Consul and Nomad ACL token np keeps (its management tokens too): each
           made beside the old one and saved in .np/secrets first, written into the hosts' files, Consul
           reloaded, Nomad, Traefik and np-agent restarted where they hold one (servers one at a time behind
           the quorum gate, edges one by one), then the old tokens deleted

Takes the cluster lock like np up, on a healthy cluster np up has converged. Safe to re-run: an interrupted
rotation goes on from where it stopped (its state is in .np/secrets). Back up .np/ afterwards.
Exit codes: 0 rotated, 1 failed or refused (the cluster still accepts the old or the new secret), 2 invalid input.`,
    )
    .action(async (what: (typeof WHAT)[number], opts: { quorumTimeout: number }, cmd: Command) => {
      const { rotateSecret } = await import("../actions/rotate.js");
      await rotateSecret(contextFrom(cmd, signal), what, opts.quorumTimeout * 1000);
    });
};
