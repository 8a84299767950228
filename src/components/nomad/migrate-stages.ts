import type { NomadSecurityView } from "./security.js";

/**
 * The stages a Nomad agent passes through when a cluster made by an earlier np (plain HTTP and RPC, no ACLs) is
 * moved to TLS and ACLs without losing quorum, after Nomad's documented procedures:
 * - TLS (tls block, `rpc_upgrade_mode`: "This allows the agent to accept both TLS and plaintext traffic", to be
 *   "removed after the migration is complete"): servers one at a time with TLS on and `rpc_upgrade_mode = true`
 *   (nomad/rpc.go handleConn lets plain RPC in while it is set), so a server still plain keeps reaching the ones
 *   already moved; then the clients with TLS (they dial only servers, which all accept TLS by then); then the
 *   servers again, one at a time, with `rpc_upgrade_mode` off (plain RPC refused);
 * - ACLs (`acl { enabled = true }`): servers one at a time; the bootstrap (np's saved secret) as soon as a leader
 *   has ACLs on (ACL.Bootstrap answers "ACL support disabled" before); np's policies and tokens; then the clients.
 * A fresh cluster starts at the last stage.
 */
export const NOMAD_STAGES = ["plain", "tls-upgrade", "tls", "secure"] as const;

/** One stage of the Nomad migration (see NOMAD_STAGES). */
export type NomadStage = (typeof NOMAD_STAGES)[number];

/** The stage of a fresh cluster and the end of every migration. */
export const NOMAD_FINAL_STAGE: NomadStage = "secure";

/** The position of a stage in the migration (0 for plain). */
export const nomadStageIndex = (s: NomadStage) => NOMAD_STAGES.indexOf(s);

/** What a host's nomad.hcl says about TLS and ACLs: the settings the migration changes, nothing else. */
export interface NomadSecurity {
  /** null: no tls block (an earlier np's file); else TLS on HTTP and RPC, and whether plain RPC is let in. */
  tls: { http: boolean; rpc: boolean; rpcUpgradeMode: boolean } | null;
  acl: boolean;
}

/**
 * The settings of a stage, by role. Servers move first at every stage. A client receives no RPC (servers reach it
 * over the connection it opened), so `rpc_upgrade_mode` means nothing there: it gets TLS without it at
 * `tls-upgrade`, once every server accepts TLS, and is unchanged at `tls`.
 */
export function nomadSecurityAt(stage: NomadStage, server: boolean): NomadSecurity {
  const i = nomadStageIndex(stage);
  const tls = i === 0 ? null : { http: true, rpc: true, rpcUpgradeMode: server && i === 1 };
  return { tls, acl: i >= 3 };
}

const same = (a: NomadSecurity, b: NomadSecurity) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The stage a host is at, from the settings its nomad.hcl holds: the latest stage whose settings they are (a
 * client's do not change at `tls`). null when they are no stage's (edited by hand): np does not guess.
 */
export function nomadStageOf(settings: NomadSecurity, server: boolean): NomadStage | null {
  for (const stage of [...NOMAD_STAGES].reverse())
    if (same(nomadSecurityAt(stage, server), settings)) return stage;
  return null;
}

/**
 * nomad.hcl's `tls` and `acl` blocks at a stage, from the last stage's (`final`, a fresh cluster's): the same TLS
 * files and checks, `rpc_upgrade_mode` where the stage lets plain RPC in, and null `tls` (no block, as the earlier
 * np wrote none) before TLS.
 */
export function nomadStageView(stage: NomadStage, server: boolean, final: NomadSecurityView): NomadStageView {
  const s = nomadSecurityAt(stage, server);
  return {
    tls: s.tls && { ...final.tls, rpcUpgradeMode: s.tls.rpcUpgradeMode },
    acl: { enabled: s.acl },
  };
}

/** nomad.hcl's security blocks, at any stage. */
export interface NomadStageView {
  tls: (NomadSecurityView["tls"] & { rpcUpgradeMode: boolean }) | null;
  acl: NomadSecurityView["acl"];
}

/** What a stage does, in words, for `np plan` and `np up`'s progress lines. */
export const NOMAD_STAGE_WORDS: Record<NomadStage, string> = {
  plain: "plain HTTP and RPC, no ACLs (an earlier np)",
  "tls-upgrade":
    "HTTPS and TLS on RPC (verify_server_hostname, verify_https_client); servers still let plain RPC in (rpc_upgrade_mode)",
  tls: "servers refuse plain RPC (rpc_upgrade_mode off)",
  secure: "ACLs on (acl { enabled = true }), bootstrapped with np's saved secret, np's tokens made",
};
