import type { HostRun, RunContext } from "./context.js";
import { withRole } from "./context.js";
import {
  hostOf,
  isQuorate,
  type PollOptions,
  type PollResult,
  pollUntil,
  type QuorumHealth,
  type RaftService,
  readQuorum,
  whyNotQuorate,
} from "./quorum.js";

/**
 * Reads a service's quorum through the first server that answers, asking `last` only after the others (a server
 * being restarted may not answer, and a server's own view of itself proves little).
 */
export async function readClusterQuorum(
  ctx: RunContext,
  service: RaftService,
  last?: HostRun,
): Promise<QuorumHealth> {
  const servers = withRole(ctx, "server");
  const order = last ? [...servers.filter((s) => s !== last), last] : servers;
  let lastError: unknown = new Error("no servers");
  for (const host of order) {
    try {
      return await readQuorum(service, ctx.tunnels.for(service, host.conn, host.spec.privateAddress));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * Whether the server at `ip` is a Raft voter, from the leader's Raft configuration (the authority: autopilot's
 * health is recomputed every few seconds, and right after an election the new leader may answer with a picture from
 * long ago, in which a voter of today is still a non-voter).
 */
export async function isRaftVoter(
  ctx: RunContext,
  service: RaftService,
  ip: string,
  last?: HostRun,
): Promise<boolean> {
  const servers = withRole(ctx, "server");
  const order = last ? [...servers.filter((s) => s !== last), last] : servers;
  let lastError: unknown = new Error("no servers");
  for (const host of order) {
    try {
      const api = ctx.tunnels.for(service, host.conn, host.spec.privateAddress);
      const config = await api.raftConfiguration();
      return config.Servers.some((s) => s.Voter && hostOf(s.Address) === ip);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/** Names the servers whose SSH connection is gone: a wait for them would only run out its time. */
export function lostServers(ctx: RunContext): string | undefined {
  const lost = withRole(ctx, "server").filter((h) => h.conn.isLost);
  return lost.length > 0 ? `lost the connection to ${lost.map((h) => h.spec.name).join(", ")}` : undefined;
}

/** Waits until the service has a healthy quorum of every server; returns the last reading either way. */
export async function waitForQuorate(
  ctx: RunContext,
  service: RaftService,
  timeoutMs: number,
  opts: Partial<PollOptions> & { last?: HostRun; ok?: (q: QuorumHealth) => boolean } = {},
): Promise<PollResult<QuorumHealth>> {
  const expected = withRole(ctx, "server").length;
  const { last, ok, ...poll } = opts;
  return pollUntil(() => readClusterQuorum(ctx, service, last), ok ?? ((q) => isQuorate(q, expected)), {
    timeoutMs,
    signal: ctx.signal,
    giveUp: () => lostServers(ctx),
    onProgress: (last, ms) =>
      ctx.out.info(
        `still waiting for the ${service} quorum (${Math.round(ms / 1000)} s): ${
          last && typeof last === "object" && "servers" in last
            ? whyNotQuorate(last as QuorumHealth, expected)
            : `no server answers (${(last as Error | undefined)?.message ?? "no reading yet"})`
        }`,
      ),
    ...poll,
  });
}
