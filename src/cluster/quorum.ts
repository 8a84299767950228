import type { ConsulApi } from "../api/consul.js";
import type { NomadApi } from "../api/nomad.js";

/** The services whose servers form a Raft quorum. */
export type RaftService = "consul" | "nomad";

/** One server as autopilot sees it. */
export interface QuorumServer {
  name: string;
  address: string;
  status: string;
  healthy: boolean;
  voter: boolean;
  leader: boolean;
  version: string;
  /** When its health last changed, ms since the epoch (the leader's clock); NaN when not reported. */
  stableSince: number;
}

/** What np reads to decide whether a Raft quorum is healthy. */
export interface QuorumHealth {
  service: RaftService;
  leader: string;
  healthy: boolean;
  failureTolerance: number;
  voters: number;
  servers: QuorumServer[];
}

/** Reads leader and autopilot health from Consul or Nomad (same shapes except top-level Leader/Voters). */
export async function readQuorum(service: RaftService, api: ConsulApi | NomadApi): Promise<QuorumHealth> {
  const [leader, health] = await Promise.all([api.leader(), api.autopilotHealth()]);
  const servers = (health.Servers ?? []).map((s) => ({
    name: s.Name,
    address: s.Address,
    status: s.SerfStatus,
    healthy: s.Healthy,
    voter: s.Voter,
    leader: s.Leader,
    version: s.Version,
    stableSince: s.StableSince ? Date.parse(s.StableSince) : Number.NaN,
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

/** The server of this quorum reached at `ip` (autopilot lists "ip:port"). */
export function serverAt(q: QuorumHealth, ip: string): QuorumServer | undefined {
  return q.servers.find((s) => hostOf(s.address) === ip);
}

/** "10.0.0.1:8300" → "10.0.0.1"; "[fd00::1]:8300" → "fd00::1". */
export function hostOf(address: string): string {
  const m = /^\[(.*)\]:\d+$/.exec(address);
  if (m?.[1]) return m[1];
  const i = address.lastIndexOf(":");
  return i > 0 && address.indexOf(":") === i ? address.slice(0, i) : address;
}

/** A quorum np can build on: a leader, autopilot healthy, and every expected server a voter. */
export function isQuorate(q: QuorumHealth, expectedServers: number): boolean {
  return q.leader !== "" && q.healthy && q.voters === expectedServers && q.servers.every((s) => s.healthy);
}

/** In words, what keeps a quorum from being one np can build on ("node3 not healthy"), for progress lines. */
export function whyNotQuorate(q: QuorumHealth, expectedServers: number): string {
  if (q.leader === "") return "no leader yet";
  const sick = q.servers.filter((s) => !s.healthy).map((s) => `${s.name} not healthy`);
  if (sick.length > 0) return sick.join(", ");
  if (q.voters !== expectedServers) return `${q.voters} of ${expectedServers} servers are voters`;
  return q.healthy ? "healthy" : "autopilot reports unhealthy";
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Readings in a row that must pass (default 2: a restarted server must stay healthy, not answer once). */
  readingsInARow?: number;
  /** Stops the wait at once when it returns a reason (e.g. a server's connection is gone). */
  giveUp?: () => string | undefined;
  /** Called about every `progressEveryMs` (default 15 s) with the last reading, so long waits say what they wait for. */
  onProgress?: (last: unknown, elapsedMs: number) => void;
  progressEveryMs?: number;
}

export interface PollResult<T> {
  ok: boolean;
  last?: T;
  lastError?: unknown;
  /** Why the wait stopped early (giveUp's reason). */
  gaveUp?: string;
}

/** Polls `read` until `ok` holds `readingsInARow` times in a row, the time runs out, or `giveUp` says stop. */
export async function pollUntil<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  opts: PollOptions,
): Promise<PollResult<T>> {
  const started = Date.now();
  const end = started + opts.timeoutMs;
  const every = opts.progressEveryMs ?? 15_000;
  let nextProgress = started + every;
  let last: T | undefined;
  let lastError: unknown;
  let streak = 0;
  while (Date.now() < end && !opts.signal?.aborted) {
    const gaveUp = opts.giveUp?.();
    if (gaveUp) return { ok: false, last, lastError, gaveUp };
    try {
      last = await read();
      lastError = undefined;
      streak = ok(last) ? streak + 1 : 0;
      if (streak >= (opts.readingsInARow ?? 2)) return { ok: true, last };
    } catch (err) {
      lastError = err;
      streak = 0;
    }
    if (opts.onProgress && Date.now() >= nextProgress) {
      opts.onProgress(last ?? lastError, Date.now() - started);
      nextProgress += every;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 1000));
  }
  return { ok: false, last, lastError };
}
