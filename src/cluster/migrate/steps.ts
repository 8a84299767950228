import { ApiError } from "../../api/http.js";
import { MANAGEMENT_TOKEN } from "../../components/consul/index.js";
import type { ConsulStage } from "../../components/consul/migrate-stages.js";
import type { NomadStage } from "../../components/nomad/migrate-stages.js";
import { OperationError } from "../../errors.js";
import { lostServers } from "../cluster-quorum.js";
import { type RunContext, withRole } from "../context.js";
import { consulAclBootstrap } from "../phases/consul-acl-bootstrap.js";
import { consulAclTokens } from "../phases/consul-acl-tokens.js";
import { pollUntil } from "../quorum.js";
import { bootstrapWhenLeaderAllows, makeNomadTokens } from "./nomad-acl-steps.js";

/**
 * One step of a migration to TLS and ACLs: the hosts below `stage` are moved to it, servers one at a time (each
 * back in a healthy quorum), then `afterServers`, then the other agents one at a time (each with its checks passing
 * again). Steps are data: Consul's and Nomad's in one list.
 */
export type SecurityStep =
  | ({ component: "consul"; stage: ConsulStage } & StepActions)
  | ({ component: "nomad"; stage: NomadStage } & StepActions);

/** What a step does besides moving hosts. */
export interface StepActions {
  /**
   * Started before the first server moves and awaited once the last is back: work that can only succeed at some
   * point while the servers move (Nomad's ACL bootstrap needs a leader with ACLs on).
   */
  whileServers?: (ctx: RunContext) => Promise<void>;
  /** What np does once every server is at this stage, before the other agents move (the ACL bootstrap). */
  afterServers?: (ctx: RunContext) => Promise<void>;
  /** afterServers in words, for `np plan`. */
  afterServersWords?: string;
  /**
   * A step that must wait until every other component holds its token: it runs after the other components'
   * files are written and their services restarted (ACLs that deny come last).
   */
  afterServices?: boolean;
}

/** Consul's migration from gossip only to TLS and ACLs (migrate-stages.ts says what each stage sets). */
export const CONSUL_STEPS: readonly SecurityStep[] = [
  { component: "consul", stage: "tls-accept" },
  {
    component: "consul",
    stage: "tls-outgoing",
    afterServers: waitForConnectCa,
    afterServersWords: "wait for the root of Consul's Connect CA (it signs the clients' certificates)",
  },
  {
    component: "consul",
    stage: "acl-allow",
    afterServers: bootstrapAndTokens,
    afterServersWords: "bootstrap Consul's ACLs (once), create np's policies and tokens",
  },
  { component: "consul", stage: "secure", afterServices: true },
];

/**
 * Nomad's migration from plain HTTP and RPC to TLS and ACLs (nomad/migrate-stages.ts says what each stage sets).
 * It runs once Consul's ACLs allow and every Consul token exists (nomad.hcl holds Nomad's Consul token from its
 * first step on), before Consul's last step (deny), which waits for every service to hold its token.
 */
export const NOMAD_STEPS: readonly SecurityStep[] = [
  { component: "nomad", stage: "tls-upgrade" },
  { component: "nomad", stage: "tls" },
  {
    component: "nomad",
    stage: "secure",
    whileServers: bootstrapWhenLeaderAllows,
    afterServers: makeNomadTokens,
    afterServersWords:
      "bootstrap Nomad's ACLs with np's saved secret (as soon as a leader has ACLs on), create np's policies and tokens",
  },
];

/** Every migration step, in order: Consul's up to ACLs that allow, Nomad's, then Consul's deny. */
export const SECURITY_STEPS: readonly SecurityStep[] = [
  ...CONSUL_STEPS.filter((s) => !s.afterServices),
  ...NOMAD_STEPS,
  ...CONSUL_STEPS.filter((s) => s.afterServices),
];

/**
 * Clients get their TLS certificate from the servers (auto_encrypt), signed by Consul's built-in Connect CA,
 * which a leader with `connect` enabled sets up when it takes office: wait for its root before a client asks.
 */
async function waitForConnectCa(ctx: RunContext): Promise<void> {
  if (ctx.gate.dryRun) return;
  const servers = withRole(ctx, "server");
  const r = await pollUntil(
    async () => {
      for (const h of servers) {
        try {
          const api = ctx.tunnels.for("consul", h.conn, h.spec.privateAddress).json;
          return (await api.get<{ Roots: { Active: boolean }[] | null }>("/v1/connect/ca/roots")).body;
        } catch {}
      }
      throw new Error("no server answers");
    },
    (roots) => (roots.Roots ?? []).some((x) => x.Active),
    { timeoutMs: ctx.quorumTimeoutMs, signal: ctx.signal, readingsInARow: 1, giveUp: () => lostServers(ctx) },
  );
  if (!r.ok)
    throw new OperationError(
      "Consul's Connect CA (which signs the clients' certificates) has no active root after the servers' TLS step",
      "check `journalctl -u consul` on the servers, then run `np up` again (it goes on from this step)",
    );
}

/**
 * Once every server has ACLs on (still allowing): bootstrap them once (or make sure the management token np holds
 * is this cluster's), then create every token np rendered into a file, before any agent or service uses one.
 */
async function bootstrapAndTokens(ctx: RunContext): Promise<void> {
  if (consulAclBootstrap.shouldRun?.(ctx) !== false) await consulAclBootstrap.run(ctx);
  else if (!ctx.gate.dryRun) await confirmManagementToken(ctx);
  if (consulAclTokens.shouldRun?.(ctx) !== false) await consulAclTokens.run(ctx);
}

/**
 * The management token in .np/secrets must be one this cluster knows (a copied .np/ would hold another's). A
 * server that has no leader yet, or is still in ACL legacy mode right after its restart, is asked again.
 */
async function confirmManagementToken(ctx: RunContext): Promise<void> {
  const servers = withRole(ctx, "server");
  const r = await pollUntil(
    async () => {
      let last: unknown = new Error("no server");
      for (const h of servers) {
        try {
          await ctx.tunnels.for("consul", h.conn, h.spec.privateAddress).json.get("/v1/acl/token/self");
          return "known";
        } catch (err) {
          if (err instanceof ApiError && err.status === 403) return `refused: ${err.body.trim()}`;
          last = err;
        }
      }
      throw last;
    },
    () => true,
    { timeoutMs: 60_000, signal: ctx.signal, readingsInARow: 1, giveUp: () => lostServers(ctx) },
  );
  if (r.last === "known") return;
  if (r.last)
    throw new OperationError(
      `Consul does not know the management token in .np/secrets/${MANAGEMENT_TOKEN.name} (${r.last}): its ACLs were bootstrapped by someone else, or .np/ is another cluster's`,
      "restore this cluster's .np/secrets from your backup (or reset Consul's ACL bootstrap, see README \"Security\"), then run `np up` again",
    );
  throw new OperationError(
    `cannot ask Consul whether it knows np's management token: ${(r.lastError as Error | undefined)?.message ?? r.gaveUp}`,
    "run `np status` to see the servers, then `np up` again (it goes on from this step)",
  );
}
