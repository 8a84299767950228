import { consul } from "../../components/consul/index.js";
import {
  CONSUL_STAGE_WORDS,
  CONSUL_STAGES,
  type ConsulStage,
  consulStageIndex,
} from "../../components/consul/migrate-stages.js";
import { isServer } from "../../components/servers.js";
import { asRoot } from "../../remote/command.js";
import { sha256 } from "../../remote/upload.js";
import type { DesiredFile } from "../../render/types.js";
import type { HostRun, RunContext } from "../context.js";
import { leaderLast } from "../phases/start-services.js";
import { convergeFile } from "../phases/write-files.js";
import { restartRaftServer } from "../quorum-restart.js";
import { restartPaid } from "../restart-marker.js";
import { systemctl, waitUnitRunning } from "../unit-health.js";
import { LocalChecks } from "./agent-checks.js";
import { setStages } from "./detect-stages.js";
import { planMigration, planText } from "./plan-lines.js";
import { SECURITY_STEPS, type SecurityStep } from "./steps.js";

/** The Consul stage a host is at (hosts np found at the final stage, or new, have none recorded). */
const stageOf = (h: HostRun): ConsulStage => h.stages?.consul ?? "secure";

/** Whether the step has work on the host: it is below the step's stage, or at it with Consul's restart owed. */
export function needsStep(h: HostRun, step: SecurityStep): boolean {
  const at = consulStageIndex(stageOf(h));
  const to = consulStageIndex(step.stage);
  return at < to || (at === to && h.stages !== undefined && h.restart.has(consul.unit));
}

/** The steps with work on some host, numbered within the whole migration. */
export function pendingSteps(ctx: RunContext): { step: SecurityStep; n: number }[] {
  return SECURITY_STEPS.map((step, i) => ({ step, n: i + 1 })).filter(({ step }) =>
    ctx.hosts.some((h) => needsStep(h, step)),
  );
}

/** What `np plan` and `np up` say before a migration's first step (once per run): every step of every host. */
export function announceMigration(ctx: RunContext): void {
  const steps = pendingSteps(ctx);
  if (steps.length === 0) return;
  const low = ctx.hosts.map(stageOf).reduce((a, b) => (consulStageIndex(b) < consulStageIndex(a) ? b : a));
  ctx.out.info(
    `Consul: this cluster is at stage "${low}" of np's migration to TLS and ACLs (${CONSUL_STAGE_WORDS[low]}); ` +
      `${steps.length} step${steps.length === 1 ? "" : "s"} to go, each a rolling restart of Consul ` +
      "(servers one at a time behind the quorum health gate, the leader last, then the other agents one at a time behind their checks):",
  );
  const hosts = ctx.hosts.map((h) => ({
    name: h.spec.name,
    server: isServer(h.spec),
    stage: stageOf(h),
    restartOwed: h.stages !== undefined && h.restart.has(consul.unit),
  }));
  for (const line of planText(planMigration(hosts, SECURITY_STEPS), SECURITY_STEPS)) ctx.out.info(line);
}

/** Runs the given steps in order, each only where it has work. */
export async function runSteps(ctx: RunContext, steps: readonly SecurityStep[]): Promise<void> {
  const checks = new LocalChecks(ctx);
  try {
    for (const step of steps) {
      const n = SECURITY_STEPS.indexOf(step) + 1;
      const hosts = ctx.hosts.filter((h) => needsStep(h, step));
      if (hosts.length === 0) continue;
      const label = `security migration step ${n}/${SECURITY_STEPS.length}, ${step.stage}`;
      ctx.out.info(`${label}: ${CONSUL_STAGE_WORDS[step.stage]}`);
      const servers = hosts.filter((h) => isServer(h.spec));
      for (const h of await leaderLast(ctx, consul, servers)) await moveHost(ctx, h, step, label, checks);
      await step.afterServers?.(ctx);
      for (const h of hosts.filter((x) => !isServer(x.spec))) await moveHost(ctx, h, step, label, checks);
    }
  } finally {
    await checks.close();
  }
}

/**
 * Moves one host to the step's stage: Consul's files rendered for it (through the change gate: `np plan` lists
 * them), then a restart that waits for the host's return (a server into a healthy quorum) and for its checks.
 * A host whose Consul does not run is left to the start phase, which starts it with the files of its stage.
 */
async function moveHost(
  ctx: RunContext,
  host: HostRun,
  step: SecurityStep,
  label: string,
  checks: LocalChecks,
): Promise<void> {
  const from = stageOf(host);
  const to = consulStageIndex(from) > consulStageIndex(step.stage) ? from : step.stage;
  // Read before the stage changes: the agent's token to read its checks with is the one of its current stage.
  const running = host.state.units.get(consul.unit)?.active === "active";
  const before = running && !ctx.gate.dryRun ? await checks.passing(host) : [];
  setStages(ctx, host, { ...host.stages, consul: to });
  const secrets = ctx.secrets;
  if (!secrets) throw new Error("secrets must be loaded before a migration step");
  const files = consul.files({ inv: ctx.inv, host: host.spec, secrets, stages: { consul: to } });
  for (const f of files) {
    await convergeFile(ctx, host, f);
    // What np now knows of the host (also on a dry run: a later step or phase must not list the same write).
    if (ctx.gate.dryRun) assumeWritten(host, f);
  }
  if (host.daemonReload) await daemonReload(ctx, host);
  if (!running || !host.restart.has(consul.unit)) return;
  const server = isServer(host.spec);
  await ctx.gate.wet(
    {
      host: host.spec.name,
      kind: "restart",
      target: `${consul.unit}.service`,
      detail: `restart consul (${label})`,
    },
    async () => {
      if (server && CONSUL_STAGES.indexOf(to) > 0) {
        // From now on this server serves HTTPS (with its certificate of the cluster CA): np reaches it there.
        ctx.tunnels.consulAccess.plainHttp?.delete(host.spec.name);
        ctx.tunnels.forget("consul", host.conn);
      }
      if (server)
        await restartRaftServer(ctx, host, "consul", consul.unit, () => restartPaid(ctx, host, consul.unit));
      else {
        ctx.out.host(host.spec.name, "restarting consul");
        const restarts = await systemctl(host, "restart", consul.unit);
        await waitUnitRunning(host, consul.unit, restarts);
        await restartPaid(ctx, host, consul.unit);
      }
      await checks.waitPassing(host, before);
    },
  );
  if (ctx.gate.dryRun) {
    host.restart.delete(consul.unit);
    host.reload.delete(consul.unit);
  }
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
