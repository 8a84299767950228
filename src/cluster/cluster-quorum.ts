import type { HostRun, RunContext, Service } from "./context.js";
import { withRole } from "./context.js";
import { isQuorate, pollUntil, type QuorumHealth, readQuorum } from "./quorum.js";

/** Reads a service's quorum through the first server that answers (a restarting server may not). */
export async function readClusterQuorum(
  ctx: RunContext,
  service: Service,
  prefer?: HostRun,
): Promise<QuorumHealth> {
  const servers = withRole(ctx, "server");
  const order = prefer ? [...servers.filter((s) => s !== prefer), prefer] : servers;
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

/** Waits until the service has a healthy quorum of every server; returns the last reading either way. */
export async function waitForQuorate(
  ctx: RunContext,
  service: Service,
  timeoutMs: number,
  restarted?: HostRun,
  readingsInARow = 2,
): Promise<{ ok: boolean; last?: QuorumHealth; lastError?: unknown }> {
  const expected = withRole(ctx, "server").length;
  return pollUntil(
    () => readClusterQuorum(ctx, service, restarted),
    (q) => isQuorate(q, expected),
    { timeoutMs, signal: ctx.signal, readingsInARow },
  );
}
