import { HostError, OperationError } from "../errors.js";
import { lostServers, readClusterQuorum, waitForQuorate } from "./cluster-quorum.js";
import { type HostRun, type RunContext, withRole } from "./context.js";
import { pollUntil, type QuorumHealth, type QuorumServer, type RaftService, serverAt } from "./quorum.js";
import { systemctl, waitUnitRunning } from "./unit-health.js";

/** How long a stopped server may take to be seen as unhealthy by the leader (autopilot checks every few seconds). */
const SEEN_DOWN_MS = 60_000;

/** Whether the quorum can lose this voter for a moment: it tolerates a failure (a single server never does). */
export function canSpare(q: QuorumHealth, me: QuorumServer, servers: number): boolean {
  return q.leader !== "" && me.healthy && (servers === 1 || q.failureTolerance >= 1);
}

/** Whether the server's health last changed after `t` (a server that does not report StableSince cannot tell). */
const stableAfter = (me: QuorumServer, t: number) =>
  Number.isNaN(me.stableSince) || Number.isNaN(t) || me.stableSince > t;

/**
 * Restarts one Raft server and returns only once that very server is back in a healthy quorum.
 * - A voter is restarted only while the quorum can spare it (it tolerates a failure), is stopped, is seen
 *   unhealthy by the leader's autopilot, is started, and must then be healthy with a StableSince later than that
 *   (Consul and Nomad count a server healthy only after server_stabilization_time). A gate that only asked "is the
 *   quorum healthy" would pass at once, before a slow server (Nomad's unit returns before it serves) had rejoined.
 * - A host that is not a voter yet (a client becoming a server) cannot cost the quorum anything: it is restarted
 *   and must then join as a healthy voter.
 * Either way every inventory server must end up a healthy voter (a dead server being replaced must be gone).
 */
export async function restartRaftServer(
  ctx: RunContext,
  host: HostRun,
  service: RaftService,
  unit: string,
  onStarted: () => Promise<void>,
): Promise<void> {
  const name = host.spec.name;
  const ip = host.spec.privateAddress;
  const servers = withRole(ctx, "server");
  const expected = servers.length;
  // Every inventory server that is a voter is healthy (a dead server being replaced may linger until autopilot
  // removes it; the final quorum wait requires every inventory server to be a voter).
  const inventoryVotersHealthy = (q: QuorumHealth) =>
    q.leader !== "" &&
    servers.every((h) => {
      const s = serverAt(q, h.spec.privateAddress);
      return !s?.voter || s.healthy;
    });
  const readMe = async (): Promise<QuorumServer | undefined> =>
    serverAt(await readClusterQuorum(ctx, service, host), ip);
  // Whether it is a voter decides how carefully it is restarted: never guessed from a failed reading.
  const reading = await pollUntil(
    () => readClusterQuorum(ctx, service, host),
    (q) => q.leader !== "",
    {
      timeoutMs: ctx.quorumTimeoutMs,
      signal: ctx.signal,
      readingsInARow: 1,
      giveUp: () => lostServers(ctx),
    },
  );
  if (!reading.ok || !reading.last) {
    throw new OperationError(
      `${name}: not restarting ${unit}: the ${service} quorum cannot be read${reading.gaveUp ? ` (${reading.gaveUp})` : ""}`,
      "run `np status` to see the servers, then `np up` again",
    );
  }
  const voter = serverAt(reading.last, ip)?.voter === true;
  let wentDown = Number.NEGATIVE_INFINITY;
  if (voter) {
    const spare = await waitForQuorate(ctx, service, ctx.quorumTimeoutMs, {
      last: host,
      readingsInARow: 1,
      ok: (q) => {
        const me = serverAt(q, ip);
        return me !== undefined && canSpare(q, me, expected);
      },
    });
    if (!spare.ok) {
      throw new OperationError(
        `${name}: not restarting ${unit}: the ${service} quorum cannot spare a server now${spare.gaveUp ? ` (${spare.gaveUp})` : ""} (failure tolerance 0), and stopping ${name} could lose it`,
        "run `np status` to see which server is missing, bring it back (or replace it in the inventory), then `np up` again",
      );
    }
    ctx.out.host(name, `restarting ${unit}`);
    await systemctl(host, "stop", unit);
    // Down: listed unhealthy, or no longer listed (autopilot's cleanup_dead_servers removed the failed server,
    // which can happen between two readings).
    const down = await pollUntil(readMe, (s) => s === undefined || !s.healthy, {
      timeoutMs: SEEN_DOWN_MS,
      signal: ctx.signal,
      readingsInARow: 1,
      intervalMs: 500,
      giveUp: () => lostServers(ctx),
    });
    // Started again whatever happened: a server left stopped is worse than one restarted without proof.
    const restarts = await systemctl(host, "start", unit);
    await onStarted();
    await waitUnitRunning(host, unit, restarts);
    if (!down.ok) {
      throw new OperationError(
        `${name}: the ${service} leader never saw ${name} go down after it was stopped${down.gaveUp ? ` (${down.gaveUp})` : ""}; it was started again, and np stopped before restarting other servers`,
        "run `np status` to see the servers, then `np up` again",
      );
    }
    wentDown = down.last?.stableSince ?? Number.NaN;
  } else {
    ctx.out.host(name, `restarting ${unit} (not a ${service} voter yet)`);
    const restarts = await systemctl(host, "restart", unit);
    await onStarted();
    await waitUnitRunning(host, unit, restarts);
  }
  ctx.out.host(
    name,
    `${unit} restarted; waiting until it is back in a healthy ${service} quorum before going on`,
  );
  const back = await waitForQuorate(ctx, service, ctx.quorumTimeoutMs, {
    last: host,
    readingsInARow: 1,
    ok: (q) => {
      const me = serverAt(q, ip);
      return me?.voter === true && me.healthy && stableAfter(me, wentDown) && inventoryVotersHealthy(q);
    },
  });
  if (back.ok) return;
  const why =
    back.gaveUp ?? (host.conn.isLost ? "its connection was lost" : "it did not become healthy in time");
  throw new HostError(
    name,
    `${service} did not rejoin a healthy quorum after its restart (${why}); np stopped before restarting other servers`,
    `run \`np status\` to see the servers, and \`journalctl -u ${unit}\` on ${name}`,
  );
}
