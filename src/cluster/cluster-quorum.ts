import type { ConsulApi } from "../api/consul.js";
import type { NomadApi } from "../api/nomad.js";
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

/** The API of the first server that answers `read`, asking `last` only after the others. */
async function throughFirstServer<T>(
  ctx: RunContext,
  service: RaftService,
  last: HostRun | undefined,
  read: (api: ConsulApi | NomadApi) => Promise<T>,
): Promise<T> {
  const servers = withRole(ctx, "server");
  const order = last ? [...servers.filter((s) => s !== last), last] : servers;
  let lastError: unknown = new Error("no servers");
  for (const host of order) {
    try {
      return await read(ctx.tunnels.for(service, host.conn, host.spec.privateAddress));
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

/**
 * Reads a service's quorum through the first server that answers, asking `last` only after the others (a server
 * being restarted may not answer, and a server's own view of itself proves little).
 */
export async function readClusterQuorum(
  ctx: RunContext,
  service: RaftService,
  last?: HostRun,
): Promise<QuorumHealth> {
  return throughFirstServer(ctx, service, last, (api) => readQuorum(service, api));
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
  const servers = await throughFirstServer(ctx, service, last, async (api) => {
    const config = await api.raftConfiguration();
    return config.Servers.map((s) => ({ address: s.Address, voter: s.Voter }));
  });
  return servers.some((s) => s.voter && hostOf(s.address) === ip);
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
  opts: Partial<PollOptions> & {
    last?: HostRun;
    ok?: (q: QuorumHealth) => boolean;
    /** The first reading may be the one read beside the gathering (early-reads.ts). */
    early?: boolean;
  } = {},
): Promise<PollResult<QuorumHealth>> {
  const expected = withRole(ctx, "server").length;
  const { last, ok, early, ...poll } = opts;
  const fresh = () => readClusterQuorum(ctx, service, last);
  const read = early ? ctx.early.firstFrom(`${service} quorum`, fresh) : fresh;
  return pollUntil(read, ok ?? ((q) => isQuorate(q, expected)), {
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
