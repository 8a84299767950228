import type { Component } from "../components/index.js";
import { HostError } from "../errors.js";
import { derOf } from "../pki/expiry.js";
import { servedCertificate } from "../pki/served.js";
import { certificateSitesOf } from "../rotate/registry.js";
import { waitForQuorate } from "./cluster-quorum.js";
import type { HostRun, RunContext } from "./context.js";
import { pollUntil, serverAt } from "./quorum.js";

/**
 * After a reload (SIGHUP): the reload took effect and the host still serves. Each certificate the host serves
 * must be the one np just wrote (a reload that failed keeps the old one, and says so only in the journal), and a
 * Raft server must be back, healthy, in a healthy quorum before np reloads the next one.
 */
export async function afterReload(ctx: RunContext, host: HostRun, component: Component): Promise<void> {
  const sites = certificateSitesOf(ctx.inv, host.spec, (c) => c === component.name).filter((s) => s.servedAt);
  for (const site of sites) {
    const want = derOf(host.desired.files.find((f) => f.path === site.path)?.content ?? "")[0];
    const at = site.servedAt;
    if (!want || !at) continue;
    const r = await pollUntil(
      () => servedCertificate(host.conn, at.host, at.port),
      (der) => der.equals(want),
      { timeoutMs: 30_000, readingsInARow: 1, intervalMs: 500, signal: ctx.signal },
    );
    if (!r.ok)
      throw new HostError(
        host.spec.name,
        `${component.unit} was reloaded but ${at.host}:${at.port} does not serve the new ${site.path} (${r.lastError ? (r.lastError as Error).message : "it still serves another certificate"})`,
        `see \`journalctl -u ${component.unit}\` on ${host.spec.name} (a reload that fails keeps the old files), then run np again`,
      );
  }
  if (component.restartPolicy(host.spec) !== "quorum" || !component.raft) return;
  const ip = host.spec.privateAddress;
  const back = await waitForQuorate(ctx, component.raft, ctx.quorumTimeoutMs, {
    last: host,
    ok: (q) => {
      const me = serverAt(q, ip);
      return q.leader !== "" && q.healthy && me?.voter === true && me.healthy;
    },
  });
  if (!back.ok)
    throw new HostError(
      host.spec.name,
      `${component.unit} is not healthy in its quorum after a reload${back.gaveUp ? ` (${back.gaveUp})` : ""}; np stopped before reloading other servers`,
      `run \`np status\`, and see \`journalctl -u ${component.unit}\` on ${host.spec.name}`,
    );
}
