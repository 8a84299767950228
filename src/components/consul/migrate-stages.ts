/**
 * The stages a Consul agent passes through when a cluster made by an earlier np (gossip encryption only) is moved
 * to TLS and ACLs without losing quorum, after HashiCorp's documented rolling migrations:
 * - TLS ("Configure TLS on an existing datacenter"): servers first accept TLS without requiring it
 *   (`verify_incoming` off, `verify_outgoing` off), then every agent speaks TLS (`verify_outgoing`,
 *   `verify_server_hostname`; clients get their certificates by auto_encrypt), then servers require it
 *   (`verify_incoming_rpc`);
 * - ACLs ("Bootstrap ACLs on an existing datacenter"): enabled with `default_policy = "allow"` (so nothing is
 *   denied yet), bootstrapped, every agent and service given its token, then `default_policy = "deny"`.
 * A fresh cluster starts at the last stage. Stages are ordered; every agent is at most one stage ahead of another.
 */
export const CONSUL_STAGES = ["gossip", "tls-accept", "tls-outgoing", "acl-allow", "secure"] as const;

/** One stage of the Consul migration (see CONSUL_STAGES). */
export type ConsulStage = (typeof CONSUL_STAGES)[number];

/** The stage of a fresh cluster and the end of every migration. */
export const CONSUL_FINAL_STAGE: ConsulStage = "secure";

/** The position of a stage in the migration (0 for gossip only). */
export const consulStageIndex = (s: ConsulStage) => CONSUL_STAGES.indexOf(s);

/** What a host's consul.hcl says about TLS and ACLs: the settings the migration changes, nothing else. */
export interface ConsulSecurity {
  /** null: no TLS settings at all (an earlier np's file). */
  tls: { verifyIncomingRpc: boolean; verifyOutgoing: boolean; verifyServerHostname: boolean } | null;
  /** null: ACLs not enabled. */
  acl: { defaultPolicy: "allow" | "deny"; agentToken: boolean } | null;
}

const TLS_ACCEPT = { verifyIncomingRpc: false, verifyOutgoing: false, verifyServerHostname: false };
const TLS_SPEAK = { verifyIncomingRpc: false, verifyOutgoing: true, verifyServerHostname: true };
const TLS_REQUIRE = { verifyIncomingRpc: true, verifyOutgoing: true, verifyServerHostname: true };

/**
 * The settings of a stage, by role. Servers move first at every stage; a client's settings change only where its
 * servers are ready for it (it speaks TLS once every server accepts it; it enables ACLs once its token exists).
 * Clients never check incoming RPC (they receive none), so their `verifyIncomingRpc` is always false.
 * A server's own agent token is rendered only at the last stage: during `acl-allow` it does not exist yet when the
 * server restarts (the bootstrap needs the servers' ACLs on first), and an unknown token is refused even under
 * "allow", where no token is anonymous and allowed.
 */
export function consulSecurityAt(stage: ConsulStage, server: boolean): ConsulSecurity {
  const i = consulStageIndex(stage);
  if (server) {
    const tls = [null, TLS_ACCEPT, TLS_SPEAK, TLS_REQUIRE, TLS_REQUIRE][i] ?? null;
    const acl =
      i >= 4 ? { defaultPolicy: "deny" as const, agentToken: true } : i === 3 ? ALLOW_NO_TOKEN : null;
    return { tls, acl };
  }
  const tls = i >= 2 ? TLS_SPEAK : null;
  const acl = i >= 4 ? { defaultPolicy: "deny" as const, agentToken: true } : i === 3 ? ALLOW_TOKEN : null;
  return { tls, acl };
}

const ALLOW_NO_TOKEN = { defaultPolicy: "allow" as const, agentToken: false };
const ALLOW_TOKEN = { defaultPolicy: "allow" as const, agentToken: true };

const same = (a: ConsulSecurity, b: ConsulSecurity) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The stage a host is at, from the settings its consul.hcl holds: the latest stage whose settings they are (a
 * client's settings do not change at `tls-accept`, so a gossip-only client is already there). null when they are
 * no stage's (edited by hand, or written by another tool): np does not guess where such a host stands.
 */
export function consulStageOf(settings: ConsulSecurity, server: boolean): ConsulStage | null {
  for (const stage of [...CONSUL_STAGES].reverse())
    if (same(consulSecurityAt(stage, server), settings)) return stage;
  return null;
}

/** What a stage does, in words, for `np plan` and `np up`'s progress lines. */
export const CONSUL_STAGE_WORDS: Record<ConsulStage, string> = {
  gossip: "gossip encryption only (an earlier np)",
  "tls-accept": "servers accept TLS on RPC without requiring it (verify_incoming and verify_outgoing off)",
  "tls-outgoing":
    "every agent speaks TLS to the servers (verify_outgoing, verify_server_hostname; clients by auto_encrypt)",
  "acl-allow":
    'servers require TLS (verify_incoming_rpc); ACLs on with default_policy "allow", bootstrapped, a token for every agent',
  secure: 'ACLs deny by default (default_policy "deny"), every agent with its token',
};
