import type { ConsulApi } from "../api/consul.js";
import type { NomadApi } from "../api/nomad.js";
import type { Service } from "./context.js";

/** What np reads to decide whether a Raft quorum is healthy. */
export interface QuorumHealth {
  service: Service;
  leader: string;
  healthy: boolean;
  failureTolerance: number;
  voters: number;
  servers: {
    name: string;
    address: string;
    status: string;
    healthy: boolean;
    voter: boolean;
    leader: boolean;
    version: string;
  }[];
}

/** Reads leader and autopilot health from Consul or Nomad (same shapes except top-level Leader/Voters). */
export async function readQuorum(service: Service, api: ConsulApi | NomadApi): Promise<QuorumHealth> {
  const [leader, health] = await Promise.all([api.leader(), api.autopilotHealth()]);
  const servers = (health.Servers ?? []).map((s) => ({
    name: s.Name,
    address: s.Address,
    status: s.SerfStatus,
    healthy: s.Healthy,
    voter: s.Voter,
    leader: s.Leader,
    version: s.Version,
  }));
  return {
    service,
    leader,
    healthy: health.Healthy,
    failureTolerance: health.FailureTolerance,
    voters: servers.filter((s) => s.voter).length,
    servers,
  };
}

/** A quorum np can build on: a leader, autopilot healthy, and every expected server a voter. */
export function isQuorate(q: QuorumHealth, expectedServers: number): boolean {
  return q.leader !== "" && q.healthy && q.voters === expectedServers && q.servers.every((s) => s.healthy);
}

/**
 * Polls `read` until `ok` holds `readingsInARow` times in a row (default 2: a restarted server must stay
 * healthy, not just answer once), or the time runs out.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  opts: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal; readingsInARow?: number },
): Promise<{ ok: boolean; last?: T; lastError?: unknown }> {
  const end = Date.now() + opts.timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  let streak = 0;
  while (Date.now() < end && !opts.signal?.aborted) {
    try {
      last = await read();
      lastError = undefined;
      streak = ok(last) ? streak + 1 : 0;
      if (streak >= (opts.readingsInARow ?? 2)) return { ok: true, last };
    } catch (err) {
      lastError = err;
      streak = 0;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
  return { ok: false, last, lastError };
}
