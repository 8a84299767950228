import path from "node:path";
import { type ConsulApi, consulMemberStatus } from "../api/consul.js";
import { type AclPolicy, type AclToken, ConsulAclApi } from "../api/consul-acl.js";
import type { NomadApi } from "../api/nomad.js";
import { NomadAclApi } from "../api/nomad-acl.js";
import { consulAcl } from "../components/consul/index.js";
import { componentsOf } from "../components/index.js";
import { NOMAD_MANAGEMENT, nomadAcl } from "../components/nomad/index.js";
import type { ChangeGate } from "./changes.js";
import { readAcl } from "./consul-acl.js";
import type { Phase } from "./context.js";
import { type NomadAclState, readNomadAcl } from "./nomad-acl.js";
import { isNomadManagement } from "./nomad-acl-bootstrap.js";
import { policyCacheFor } from "./policy-cache.js";
import { type QuorumHealth, readQuorum } from "./quorum.js";

/** What Consul and Nomad say of the hosts: who is alive, who is ready, each service's health. */
export interface MembersReading {
  consulAlive: Set<string>;
  nomadReady: Set<string>;
  health: Map<string, Awaited<ReturnType<ConsulApi["serviceHealth"]>>>;
}

/** The answers the later phases of `np up` can take from early in the run, by the phase that takes them. */
export interface EarlyAnswers {
  "consul acl": { policies: AclPolicy[]; tokens: AclToken[] };
  "nomad management": boolean;
  "nomad acl": NomadAclState;
  "consul quorum": QuorumHealth;
  "nomad quorum": QuorumHealth;
  members: MembersReading;
}

/**
 * Reads of the cluster's APIs started while the hosts are gathered, for the phases after: on a run that changes
 * nothing, a phase takes the answer read early instead of asking again (a no-op `np up` spent its last 150 ms on
 * these round trips, one phase after the other). An early answer counts only while nothing in the run changed (or,
 * in a dry run, would change): after the first change every phase reads afresh. An early read that failed is
 * never reported: the phase reads again and says what is wrong, with its own retries.
 */
export class EarlyReads {
  private readonly started = new Map<keyof EarlyAnswers, Promise<unknown>>();

  constructor(private readonly gate: ChangeGate) {}

  start<K extends keyof EarlyAnswers>(
    key: K,
    read: () => Promise<EarlyAnswers[K]>,
  ): Promise<EarlyAnswers[K]> {
    const answer = read();
    answer.catch(() => {});
    this.started.set(key, answer);
    return answer;
  }

  /** The early answer for `key` if there is one and nothing changed since; otherwise `fresh()`. Once per key. */
  async take<K extends keyof EarlyAnswers>(
    key: K,
    fresh: () => Promise<EarlyAnswers[K]>,
  ): Promise<EarlyAnswers[K]> {
    const early = this.started.get(key) as Promise<EarlyAnswers[K]> | undefined;
    this.started.delete(key);
    if (early && this.gate.changes.length === 0) {
      try {
        const answer = await early;
        // Checked again: the answer must not have arrived across a change (a phase never runs beside another,
        // but the rule is cheap to keep exact).
        if (this.gate.changes.length === 0) return answer;
      } catch {
        // The phase's own read below says what is wrong.
      }
    }
    return fresh();
  }

  /** `fresh`, whose first call takes the early answer: the first reading of a poll. */
  firstFrom<K extends keyof EarlyAnswers>(
    key: K,
    fresh: () => Promise<EarlyAnswers[K]>,
  ): () => Promise<EarlyAnswers[K]> {
    let first = true;
    return () => {
      if (!first) return fresh();
      first = false;
      return this.take(key, fresh);
    };
  }
}

/** What verify-members reads, in one go: Consul's members, Nomad's nodes, and the health of `services`. */
export async function readMembers(
  consul: ConsulApi,
  nomad: NomadApi,
  services: readonly string[],
): Promise<MembersReading> {
  const [members, nodes, health] = await Promise.all([
    consul.members(),
    nomad.nodes(),
    Promise.all(services.map(async (n) => [n, await consul.serviceHealth(n)] as const)),
  ]);
  return {
    consulAlive: new Set(members.filter((m) => consulMemberStatus(m.Status) === "alive").map((m) => m.Name)),
    nomadReady: new Set(nodes.filter((n) => n.Status === "ready").map((n) => n.Name)),
    health: new Map(health),
  };
}

/**
 * Starts, through the first server's SSH connection, every read the later phases of `np up` begin with: Consul's
 * ACLs, whether np's secret is Nomad's management token and then Nomad's ACLs, both quorums, and the members. It
 * returns at once (the reads go on beside the gathering); a read that needs what np does not hold yet (Consul's
 * management token before its bootstrap) is not started.
 */
export const startEarlyReads: Phase = {
  title: "early API reads",
  async run(ctx) {
    const spec = ctx.inv.hosts.find((h) => h.roles.includes("server"));
    const secrets = ctx.secrets;
    if (!spec || !secrets) return;
    const connected = ctx.session.connect(spec);
    connected.catch(() => {});
    const consul = async () => ctx.tunnels.for("consul", await connected, spec.privateAddress);
    const nomad = async () => ctx.tunnels.for("nomad", await connected, spec.privateAddress);
    const early = ctx.early;
    if (ctx.tunnels.consulAccess.token !== undefined) {
      const names = consulAcl(ctx.inv).policies.map((p) => p.name);
      // No retries here (legacyWaitMs 0): a Consul that is not ready is the phase's to wait for.
      const cache = policyCacheFor(path.join(ctx.inv.dir, ".np"));
      early.start("consul acl", async () =>
        readAcl(new ConsulAclApi((await consul()).json), names, 0, await cache),
      );
    }
    // Only a yes is an answer: "no" may be a server that did not answer, which the phase asks the others about.
    const management = early.start("nomad management", async () => {
      if (await isNomadManagement([await nomad()], secrets.get(NOMAD_MANAGEMENT.name).reveal())) return true;
      throw new Error("np's secret is not Nomad's management token, or the server did not answer");
    });
    early.start("nomad acl", async () => {
      await management;
      return readNomadAcl(new NomadAclApi(await nomad()), nomadAcl(ctx.inv), secrets);
    });
    early.start("consul quorum", async () => readQuorum("consul", await consul()));
    early.start("nomad quorum", async () => readQuorum("nomad", await nomad()));
    const services = [
      ...new Set(
        ctx.inv.hosts.flatMap((h) => componentsOf(h).flatMap((c) => (c.service ? [c.service] : []))),
      ),
    ];
    early.start("members", async () => readMembers(await consul(), await nomad(), services));
  },
};
