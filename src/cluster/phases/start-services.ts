import { COMPONENTS, type Component } from "../../components/index.js";
import { HostError } from "../../errors.js";
import { asRoot } from "../../remote/command.js";
import { lostServers, readClusterQuorum } from "../cluster-quorum.js";
import { type HostRun, type Phase, type RunContext, runs } from "../context.js";
import { eachHost } from "../each-host.js";
import { routedBy, waitRoutedAgain } from "../edge-routes.js";
import type { UnitState } from "../host-state.js";
import { hostOf, pollUntil, serverAt } from "../quorum.js";
import { restartRaftServer } from "../quorum-restart.js";
import { probeReady } from "../ready-probe.js";
import { afterReload } from "../reload-gate.js";
import { reloadPaid, restartPaid } from "../restart-marker.js";
import { systemctl, waitUnitRunning } from "../unit-health.js";

/** What a component needs on a host: nothing, a first start, or a restart because its files changed. */
export function actionFor(host: HostRun, component: Component): "start" | "restart" | null {
  if (!runs(host, component)) return null;
  const unit = host.state.units.get(component.unit);
  if (unit?.active !== "active") return "start";
  return host.restart.has(component.unit) ? "restart" : null;
}

/**
 * Reloads units, enables them, and starts or restarts only what changed, component by component in start order.
 * First starts run in parallel (Raft servers bootstrap together). Restarts follow the component's policy: Raft
 * servers one at a time, each gated on its own return into a healthy quorum; rolling hosts one at a time behind
 * their readiness check; the rest in parallel. Every started unit must be running, and ready where it can say so.
 */
export const startServices: Phase = {
  title: "start services",
  run: (ctx) => startComponents(ctx, () => true),
};

/** Which (component, host) pairs a pass of `startComponents` may start, restart or reload. */
export type StartScope = (component: Component, host: HostRun) => boolean;

/**
 * The body of `startServices`, limited to `scope`: an earlier phase can start some units first (Consul's servers,
 * before the ACL tokens its clients need exist), and the later full pass leaves what already ran alone.
 */
export async function startComponents(ctx: RunContext, scope: StartScope): Promise<void> {
  const inScope = ctx.hosts.filter((h) => h.desired.components.some((c) => scope(c, h)));
  await eachHost(ctx, inScope, (host) => reloadAndEnable(ctx, host, (c) => scope(c, host)));
  for (const component of COMPONENTS) {
    const hosts = ctx.hosts.filter((h) => scope(component, h) && actionFor(h, component) !== null);
    const starts = hosts.filter((h) => actionFor(h, component) === "start");
    const restarts = hosts.filter((h) => actionFor(h, component) === "restart");
    const byPolicy = (p: string) => restarts.filter((h) => component.restartPolicy(h.spec) === p);
    // Raft servers first (starting together, restarting one by one), then everyone else of this component.
    const quorumFirst = (h: HostRun) => component.restartPolicy(h.spec) === "quorum";
    await eachHost(ctx, starts.filter(quorumFirst), (h) => start(ctx, h, component));
    for (const h of await leaderLast(ctx, component, byPolicy("quorum"))) await restartOne(ctx, h, component);
    for (const h of byPolicy("rolling")) await restartOne(ctx, h, component);
    await eachHost(ctx, [...starts.filter((h) => !quorumFirst(h)), ...byPolicy("parallel")], (h) =>
      actionFor(h, component) === "start" ? start(ctx, h, component) : restartOne(ctx, h, component),
    );
    // A file read at reload changed (a service definition, a certificate) and the unit was not (re)started:
    // reload it. Like restarts: Raft servers and rolling hosts one at a time, each behind its gate; others at once.
    const reloads = ctx.hosts.filter(
      (h) => scope(component, h) && !hosts.includes(h) && runs(h, component) && h.reload.has(component.unit),
    );
    const oneByOne = (h: HostRun) => component.restartPolicy(h.spec) !== "parallel";
    for (const h of reloads.filter(oneByOne)) await reload(ctx, h, component);
    await eachHost(
      ctx,
      reloads.filter((h) => !oneByOne(h)),
      (h) => reload(ctx, h, component),
    );
  }
}

/**
 * Restart order for Raft servers: hosts that are not voters yet first (a replacement joins before anyone is
 * stopped), then followers, the leader last: one election instead of one per restart (hashicorp/consul#2889).
 */
export async function leaderLast(
  ctx: RunContext,
  component: Component,
  hosts: HostRun[],
): Promise<HostRun[]> {
  const raft = component.raft;
  if (hosts.length < 2 || !raft || ctx.gate.dryRun) return hosts;
  // The order matters (a replacement must join before a voter is stopped): wait for a reading (an election may be
  // under way) rather than guess; without one the restart gates refuse safely.
  const r = await pollUntil(
    () => readClusterQuorum(ctx, raft),
    (q) => q.leader !== "",
    { timeoutMs: ctx.quorumTimeoutMs, readingsInARow: 1, signal: ctx.signal, giveUp: () => lostServers(ctx) },
  );
  const q = r.last;
  if (!q) return hosts;
  const rank = (h: HostRun) => {
    const s = serverAt(q, h.spec.privateAddress);
    if (!s?.voter) return 0;
    return hostOf(q.leader) === h.spec.privateAddress ? 2 : 1;
  };
  return hosts.toSorted((a, b) => rank(a) - rank(b));
}

async function reloadAndEnable(
  ctx: RunContext,
  host: HostRun,
  inScope: (c: Component) => boolean,
): Promise<void> {
  const login = host.spec.ssh.user;
  const stale = host.daemonReload || [...host.state.units.values()].some((u) => u.needsDaemonReload);
  if (stale) {
    await ctx.gate.wet(
      { host: host.spec.name, kind: "daemon-reload", target: "systemd", detail: "reload unit files" },
      () =>
        host.conn
          .run(asRoot(["systemctl", "daemon-reload"], login), { doing: "reloading systemd" })
          .then(() => {}),
    );
    // Done for this run: a later pass over other components must not do it again.
    host.daemonReload = false;
    for (const u of host.state.units.values()) u.needsDaemonReload = false;
  }
  for (const c of host.desired.components) {
    if (!inScope(c) || host.state.units.get(c.unit)?.enabled) continue;
    await ctx.gate.wet(
      { host: host.spec.name, kind: "enable", target: `${c.unit}.service`, detail: "enable at boot" },
      () =>
        host.conn
          .run(asRoot(["systemctl", "enable", "--quiet", `${c.unit}.service`], login), {
            doing: `enabling ${c.unit}`,
          })
          .then(() => {}),
    );
    markUnit(host, c.unit, { enabled: true });
  }
}

/** What np now knows of a unit it changed in this run (so a later pass does not do it again). */
function markUnit(host: HostRun, unit: string, state: Partial<UnitState>): void {
  const now = host.state.units.get(unit);
  host.state.units.set(unit, {
    ...(now ?? { loaded: true, active: "inactive", mainPid: 0, enabled: false, needsDaemonReload: false }),
    ...state,
  });
}

async function start(ctx: RunContext, host: HostRun, component: Component): Promise<void> {
  const unit = component.unit;
  await ctx.gate.wet(
    { host: host.spec.name, kind: "start", target: `${unit}.service`, detail: `start ${unit}` },
    async () => {
      ctx.out.host(host.spec.name, `starting ${unit}`);
      const restarts = await systemctl(host, "start", unit);
      await restartPaid(ctx, host, unit);
      await waitUnitRunning(host, unit, restarts);
      await checkReady(ctx, host, component);
    },
  );
  // Also on a dry run: a later pass must not list the same start twice.
  markUnit(host, unit, { active: "active" });
  host.restart.delete(unit);
}

/** Restarts a component on a host now, by its restart policy (a phase after the starts uses it). */
export const restartNow = (ctx: RunContext, host: HostRun, component: Component) =>
  restartOne(ctx, host, component);

async function restartOne(ctx: RunContext, host: HostRun, component: Component): Promise<void> {
  const unit = component.unit;
  const policy = component.restartPolicy(host.spec);
  await ctx.gate.wet(
    {
      host: host.spec.name,
      kind: "restart",
      target: `${unit}.service`,
      detail: `restart ${unit} (its files changed)`,
    },
    async () => {
      if (policy === "quorum" && component.raft) {
        await restartRaftServer(ctx, host, component.raft, unit, () => restartPaid(ctx, host, unit));
      } else {
        const port = component.routesOn;
        const routed = port === undefined ? [] : await routedBy(ctx, host, port);
        ctx.out.host(host.spec.name, `restarting ${unit}`);
        const restarts = await systemctl(host, "restart", unit);
        await waitUnitRunning(host, unit, restarts);
        await restartPaid(ctx, host, unit);
        await checkReady(ctx, host, component);
        if (port !== undefined) await waitRoutedAgain(ctx, host, port, routed);
      }
    },
  );
}

async function reload(ctx: RunContext, host: HostRun, component: Component): Promise<void> {
  const unit = component.unit;
  await ctx.gate.wet(
    {
      host: host.spec.name,
      kind: "reload",
      target: `${unit}.service`,
      detail: `reload ${unit} (a file it reads changed)`,
    },
    async () => {
      ctx.out.host(host.spec.name, `reloading ${unit}`);
      await host.conn.run(asRoot(["systemctl", "reload", `${unit}.service`], host.spec.ssh.user), {
        doing: `reloading ${unit}`,
      });
      await afterReload(ctx, host, component);
      await reloadPaid(ctx, host, unit);
    },
  );
}

async function checkReady(ctx: RunContext, host: HostRun, component: Component): Promise<void> {
  const probe = component.ready?.(host.spec);
  if (!probe) return;
  const r = await probeReady(host.conn, probe, { timeoutMs: 60_000, signal: ctx.signal });
  if (r.ok) return;
  throw new HostError(
    host.spec.name,
    `${component.unit} runs but is not ready: GET ${probe.path} on ${probe.host}:${probe.port} ${r.why}`,
    `see \`journalctl -u ${component.unit}\` on ${host.spec.name}, then run \`np up\` again`,
  );
}
