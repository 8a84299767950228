import { npAgentComponent } from "../../components/index.js";
import { agentReadsNomad } from "../../components/nomad/index.js";
import { isServer } from "../../components/servers.js";
import { HostError } from "../../errors.js";
import { asRoot } from "../../remote/command.js";
import { sha256 } from "../../remote/upload.js";
import type { DesiredFile } from "../../render/types.js";
import { waitForQuorate } from "../cluster-quorum.js";
import type { HostRun, RunContext } from "../context.js";
import { withRole } from "../context.js";
import { leaderLast } from "../phases/start-services.js";
import { convergeFile } from "../phases/write-files.js";
import { isQuorate, pollUntil, serverAt } from "../quorum.js";
import { restartRaftServer } from "../quorum-restart.js";
import { reloadPaid, restartPaid } from "../restart-marker.js";
import { systemctl, waitUnitRunning } from "../unit-health.js";
import { LocalChecks } from "./agent-checks.js";
import { setStages } from "./detect-stages.js";
import { MIGRATING, type MigratingComponent, stageIndex } from "./migrating.js";
import { COMPONENT, needsStep, stageOf } from "./pending-steps.js";
import { SECURITY_STEPS, type SecurityStep } from "./steps.js";

/** Runs the given steps in order, each only where it has work. */
export async function runSteps(ctx: RunContext, steps: readonly SecurityStep[]): Promise<void> {
  const checks = new LocalChecks(ctx);
  try {
    for (const step of steps) {
      const n = SECURITY_STEPS.indexOf(step) + 1;
      const hosts = ctx.hosts.filter((h) => needsStep(h, step));
      if (hosts.length === 0) continue;
      const c = step.component;
      const label = `security migration step ${n}/${SECURITY_STEPS.length}, ${c} ${step.stage}`;
      ctx.out.info(`${label}: ${MIGRATING[c].words[step.stage]}`);
      const servers = hosts.filter((h) => isServer(h.spec));
      const meanwhile = step.whileServers?.(ctx);
      meanwhile?.catch(() => {});
      // A server a cut-off run left stopped starts first: no other server's gate can pass without it.
      const stopped = (h: HostRun) => h.state.units.get(COMPONENT[c].unit)?.active !== "active";
      const ordered = await leaderLast(ctx, COMPONENT[c], servers);
      for (const h of [...ordered.filter(stopped), ...ordered.filter((x) => !stopped(x))])
        await moveHost(ctx, h, step, label, checks);
      await meanwhile;
      await step.afterServers?.(ctx);
      for (const h of hosts.filter((x) => !isServer(x.spec))) await moveHost(ctx, h, step, label, checks);
    }
  } finally {
    await checks.close();
  }
}

/**
 * Moves one host to the step's stage: the component's files rendered for it (through the change gate: `np plan`
 * lists them), then a restart that waits for the host's return (a server into a healthy quorum; a Nomad client's
 * node ready) and for the checks that passed on it before. A host whose unit does not run is left to the start
 * phase, which starts it with the files of its stage.
 */
async function moveHost(
  ctx: RunContext,
  host: HostRun,
  step: SecurityStep,
  label: string,
  checks: LocalChecks,
): Promise<void> {
  const c = step.component;
  const component = COMPONENT[c];
  const from = stageOf(host, c);
  const to = stageIndex(c, from) > stageIndex(c, step.stage) ? from : step.stage;
  // Read before the stage changes: the agent's token to read its checks with is the one of its current stage.
  const running = host.state.units.get(component.unit)?.active === "active";
  const before = running && !ctx.gate.dryRun ? await checks.passing(host) : [];
  const stages = {
    consul: host.stages?.consul ?? "secure",
    nomad: host.stages?.nomad ?? "secure",
    [c]: to,
  } as Parameters<typeof setStages>[2];
  setStages(ctx, host, stages);
  const secrets = ctx.secrets;
  if (!secrets) throw new Error("secrets must be loaded before a migration step");
  const files = component.files({ inv: ctx.inv, host: host.spec, secrets, stages });
  for (const f of files) {
    await convergeFile(ctx, host, f);
    // What np now knows of the host (also on a dry run: a later step or phase must not list the same write).
    if (ctx.gate.dryRun) assumeWritten(host, f);
  }
  if (host.daemonReload) await daemonReload(ctx, host);
  const server = isServer(host.spec);
  if (!running && server && host.state.units.get(component.unit)?.loaded)
    return startStoppedServer(ctx, host, c, to, label);
  if (!running || !host.restart.has(component.unit)) return;
  await ctx.gate.wet(
    {
      host: host.spec.name,
      kind: "restart",
      target: `${component.unit}.service`,
      detail: `restart ${component.unit} (${label})`,
    },
    async () => {
      const paid = async () => {
        // Not before its stop: until then it serves plain HTTP, and a plain leader is the only server that
        // answers consistent reads (the ones moved already forward to it with TLS, which it refuses).
        if (server) reachOverTls(ctx, host, c, to);
        await restartPaid(ctx, host, component.unit);
        // A restart reads every file anew: a reload owed for the same files (Nomad's certificates) is paid too.
        await reloadPaid(ctx, host, component.unit);
      };
      if (server) await restartRaftServer(ctx, host, c, component.unit, paid);
      else {
        ctx.out.host(host.spec.name, `restarting ${component.unit}`);
        const restarts = await systemctl(host, "restart", component.unit);
        await waitUnitRunning(host, component.unit, restarts);
        await paid();
        if (c === "nomad") await waitNodeReady(ctx, host);
      }
    },
  );
  if (ctx.gate.dryRun) {
    host.restart.delete(component.unit);
    host.reload.delete(component.unit);
  }
  if (c === "nomad" && !server && agentReadsNomad(host.spec)) await moveNpAgent(ctx, host, label);
  if (!ctx.gate.dryRun) await checks.waitPassing(host, before);
}

/**
 * np-agent reads its node's allocations from the host's Nomad client: it moves with it (HTTPS with its client
 * certificate from the TLS step on, its token from the ACL step on), else its health check would fail until the
 * end of the migration and, with it, the wait for the host's checks.
 */
async function moveNpAgent(ctx: RunContext, host: HostRun, label: string): Promise<void> {
  const agent = npAgentComponent();
  const secrets = ctx.secrets;
  if (!secrets || !host.desired.components.includes(agent)) return;
  const files = agent.files({
    inv: ctx.inv,
    host: host.spec,
    secrets,
    ...(host.stages && { stages: host.stages }),
  });
  for (const f of files) {
    await convergeFile(ctx, host, f);
    if (ctx.gate.dryRun) assumeWritten(host, f);
  }
  if (host.daemonReload) await daemonReload(ctx, host);
  const running = host.state.units.get(agent.unit)?.active === "active";
  if (!running || !host.restart.has(agent.unit)) return;
  await ctx.gate.wet(
    {
      host: host.spec.name,
      kind: "restart",
      target: `${agent.unit}.service`,
      detail: `restart np-agent (${label}: it reads Nomad with its address, certificate and token of this step)`,
    },
    async () => {
      ctx.out.host(host.spec.name, "restarting np-agent");
      const restarts = await systemctl(host, "restart", agent.unit);
      await waitUnitRunning(host, agent.unit, restarts);
      await restartPaid(ctx, host, agent.unit);
      await reloadPaid(ctx, host, agent.unit);
    },
  );
  if (ctx.gate.dryRun) {
    host.restart.delete(agent.unit);
    host.reload.delete(agent.unit);
  }
}

/** Once a server started with TLS, it serves HTTPS (its certificate of the cluster CA): np reaches it there. */
function reachOverTls(ctx: RunContext, host: HostRun, c: MigratingComponent, stage: string): void {
  if (stageIndex(c, stage) === 0) return;
  const access = c === "consul" ? ctx.tunnels.consulAccess : ctx.tunnels.nomadAccess;
  if (access.plainHttp?.delete(host.spec.name)) ctx.tunnels.forget(c, host.conn);
}

/**
 * A server found stopped mid-migration (a run cut off between its stop and its start): started with its stage's
 * files, then waited for as a healthy voter of a healthy quorum before anything else moves. The quorum gate of the
 * next server could never pass without it.
 */
async function startStoppedServer(
  ctx: RunContext,
  host: HostRun,
  c: MigratingComponent,
  stage: string,
  label: string,
): Promise<void> {
  const unit = COMPONENT[c].unit;
  await ctx.gate.wet(
    { host: host.spec.name, kind: "start", target: `${unit}.service`, detail: `start ${unit} (${label})` },
    async () => {
      ctx.out.host(host.spec.name, `${unit} is stopped: starting it (${label})`);
      const restarts = await systemctl(host, "start", unit);
      reachOverTls(ctx, host, c, stage);
      await restartPaid(ctx, host, unit);
      await reloadPaid(ctx, host, unit);
      await waitUnitRunning(host, unit, restarts);
      const ip = host.spec.privateAddress;
      const back = await waitForQuorate(ctx, c, ctx.quorumTimeoutMs, {
        last: host,
        readingsInARow: 1,
        ok: (q) => serverAt(q, ip)?.healthy === true && isQuorate(q, withRole(ctx, "server").length),
      });
      if (!back.ok)
        throw new HostError(
          host.spec.name,
          `${unit} did not join a healthy quorum after its start${back.gaveUp ? ` (${back.gaveUp})` : ""}; np stopped before moving other hosts`,
          `run \`np status\` to see the servers, and \`journalctl -u ${unit}\` on ${host.spec.name}`,
        );
    },
  );
  // What np now knows of the host (also on a dry run): the next step restarts it like the others.
  const state = host.state.units.get(unit);
  if (state) state.active = "active";
  if (ctx.gate.dryRun) {
    host.restart.delete(unit);
    host.reload.delete(unit);
  }
}

/** How long a restarted Nomad client may take to be a ready node again (it registers within a heartbeat). */
const NODE_READY_MS = 90_000;

/** Waits until the servers list the host's Nomad node as ready (after its restart with the step's settings). */
async function waitNodeReady(ctx: RunContext, host: HostRun): Promise<void> {
  const servers = withRole(ctx, "server");
  const r = await pollUntil(
    async () => {
      let last: unknown = new Error("no server");
      for (const s of servers) {
        try {
          const nodes = await ctx.tunnels.for("nomad", s.conn, s.spec.privateAddress).nodes();
          return nodes.find((n) => n.Name === host.spec.name)?.Status ?? "missing";
        } catch (err) {
          last = err;
        }
      }
      throw last;
    },
    (status) => status === "ready",
    { timeoutMs: NODE_READY_MS, signal: ctx.signal, readingsInARow: 2, intervalMs: 1000 },
  );
  if (r.ok) return;
  throw new HostError(
    host.spec.name,
    `after Nomad's restart its node was not ready within ${NODE_READY_MS / 1000} s (${r.last ?? (r.lastError as Error | undefined)?.message}); np stopped before restarting other clients`,
    `see \`journalctl -u nomad\` on ${host.spec.name}, then run \`np up\` again (it goes on from this step)`,
  );
}

function assumeWritten(host: HostRun, f: DesiredFile): void {
  host.state.paths.set(f.path, {
    kind: "file",
    mode: f.mode,
    owner: f.owner,
    group: f.group,
    sha256: sha256(f.content),
  });
}

async function daemonReload(ctx: RunContext, host: HostRun): Promise<void> {
  await ctx.gate.wet(
    { host: host.spec.name, kind: "daemon-reload", target: "systemd", detail: "reload unit files" },
    () =>
      host.conn
        .run(asRoot(["systemctl", "daemon-reload"], host.spec.ssh.user), { doing: "reloading systemd" })
        .then(() => {}),
  );
  host.daemonReload = false;
}
