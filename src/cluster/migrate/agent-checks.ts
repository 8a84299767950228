import type { Agent } from "undici";
import { consulTokenHeaders } from "../../api/consul.js";
import { JsonApi } from "../../api/http.js";
import { tunnelDispatcher } from "../../api/tunnel.js";
import { CONSUL, CONSUL_TOKEN } from "../../components/consul/index.js";
import { CONSUL_FINAL_STAGE, consulSecurityAt } from "../../components/consul/migrate-stages.js";
import { isServer } from "../../components/servers.js";
import { HostError } from "../../errors.js";
import type { HostRun, RunContext } from "../context.js";
import { pollUntil } from "../quorum.js";
import { checkOutputLine } from "../status.js";

type AgentChecks = Record<string, { CheckID: string; Name: string; Status: string; Output: string }>;

/** How long the checks of a restarted agent may take to pass again (Consul runs each within its interval). */
const CHECKS_BACK_MS = 90_000;

/**
 * The health checks a host's own Consul agent runs (its services': Traefik, np-agent, the apps Nomad placed
 * there), read from that agent through the host's SSH connection. An agent starts every check "critical" after a
 * restart until it has run, and its apps leave the edges' routes meanwhile: np restarts the next agent only once
 * the checks that passed before pass again, so an app with instances on two hosts keeps serving.
 */
export class LocalChecks {
  private readonly dispatchers = new Map<string, Promise<Agent>>();

  constructor(private readonly ctx: RunContext) {}

  /** The IDs of the checks passing on the host now. */
  async passing(host: HostRun): Promise<string[]> {
    const checks = await this.read(host);
    return Object.values(checks)
      .filter((c) => c.Status === "passing")
      .map((c) => c.CheckID);
  }

  /**
   * Waits until every check in `ids` passes again on the host, and in the catalog too (what the edges read: the
   * agent syncs a check's new status to the servers after it ran); a HostError names those that do not.
   */
  async waitPassing(host: HostRun, ids: readonly string[]): Promise<void> {
    if (ids.length === 0 || !this.readable(host)) return;
    const r = await pollUntil(
      () => this.readBoth(host),
      (checks) => ids.every((id) => checks[id]?.Status === "passing"),
      { timeoutMs: CHECKS_BACK_MS, signal: this.ctx.signal, readingsInARow: 1, intervalMs: 500 },
    );
    if (r.ok) return;
    const failing = ids
      .map((id) => r.last?.[id] ?? { CheckID: id, Name: id, Status: "missing", Output: "" })
      .filter((c) => c.Status !== "passing")
      .map((c) => `${c.Name} ${c.Status}${c.Output ? ` (${checkOutputLine(c.Output, 200)})` : ""}`);
    throw new HostError(
      host.spec.name,
      `after Consul's restart these checks did not pass again within ${CHECKS_BACK_MS / 1000} s: ${failing.join(", ") || (r.lastError as Error | undefined)?.message}; np stopped before restarting other agents`,
      `see \`journalctl -u consul\` on ${host.spec.name}, then run \`np up\` again (it goes on from this step)`,
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.dispatchers.values()].map(async (d) => (await d).destroy()));
  }

  private async read(host: HostRun): Promise<AgentChecks> {
    return (await this.api(host).get<AgentChecks>("/v1/agent/checks")).body;
  }

  /**
   * The host's checks as the agent runs them, each marked "critical in the catalog" while the servers lag. A
   * catalog that hides the node from the agent's token (no check at all, not even the node's serfHealth; or "ACL
   * not found" while servers with ACLs just on have no anonymous token yet) cannot be waited for: the agent's own
   * view is all there is then.
   */
  private async readBoth(host: HostRun): Promise<AgentChecks> {
    const node = encodeURIComponent(host.spec.name);
    const [local, catalog] = await Promise.all([
      this.read(host),
      this.api(host)
        .get<{ CheckID: string; Status: string }[]>(`/v1/health/node/${node}`, [403])
        .then((r) => (r.status === 403 ? [] : r.body)),
    ]);
    if (catalog.length === 0) return local;
    const synced = new Map(catalog.map((c) => [c.CheckID, c.Status]));
    for (const c of Object.values(local)) {
      const there = synced.get(c.CheckID) ?? "missing";
      if (c.Status === "passing" && there !== "passing")
        local[c.CheckID] = { ...c, Status: `${there} in the catalog` };
    }
    return local;
  }

  private api(host: HostRun): JsonApi {
    let d = this.dispatchers.get(host.spec.name);
    if (!d) {
      d = tunnelDispatcher(host.conn, CONSUL.http.host, CONSUL.http.port);
      this.dispatchers.set(host.spec.name, d);
    }
    const token = this.agentToken(host);
    return new JsonApi(
      "Consul",
      `http://${CONSUL.http.host}:${CONSUL.http.port}`,
      d,
      consulTokenHeaders(() => token),
    );
  }

  /**
   * Whether np can read the host's checks at its stage. A server restarted with ACLs on ("allow") and no token of
   * its own yet (`acl-allow`, before the bootstrap, which needs every server there first) answers an anonymous
   * read with its checks filtered away: only its return into a healthy quorum (the Raft gate) is waited for.
   */
  private readable(host: HostRun): boolean {
    const acl = consulSecurityAt(host.stages?.consul ?? CONSUL_FINAL_STAGE, isServer(host.spec)).acl;
    return acl === null || acl.agentToken;
  }

  /**
   * The agent's own token (its node identity reads its node's and services' checks), the one this host's
   * consul.hcl holds: loopback is where the host's own agents already send theirs. None while the host's stage has
   * none: a token Consul does not know yet would be refused even under "allow".
   */
  private agentToken(host: HostRun): string | undefined {
    const stage = host.stages?.consul ?? CONSUL_FINAL_STAGE;
    if (!consulSecurityAt(stage, isServer(host.spec)).acl?.agentToken) return undefined;
    return this.ctx.secrets?.get(CONSUL_TOKEN.agent(host.spec.name)).reveal();
  }
}
