import { consul } from "../../components/consul/index.js";
import type { Component } from "../../components/index.js";
import { nomad } from "../../components/nomad/index.js";
import { isServer } from "../../components/servers.js";
import { counted } from "../../output/counted.js";
import type { HostRun, RunContext } from "../context.js";
import { FINAL_STAGE, MIGRATING, type MigratingComponent, stageIndex } from "./migrating.js";
import { planMigration, planText } from "./plan-lines.js";
import { SECURITY_STEPS, type SecurityStep } from "./steps.js";

// Which migration steps have work where, and what np says of them before the first: read by np plan and np up
// (run-steps.ts takes the steps).

export const COMPONENT: Record<MigratingComponent, Component> = { consul, nomad };

/** Whether the host runs the component (every host runs Consul; Nomad only servers and clients). */
export const runs = (h: HostRun, c: MigratingComponent) => h.desired.components.some((x) => x.name === c);

/** A component's stage on a host (hosts np found at the final stage, or new, have none recorded). */
export const stageOf = (h: HostRun, c: MigratingComponent): string => h.stages?.[c] ?? FINAL_STAGE;

/** Whether the step has work on the host: it is below the step's stage, or at it with the restart owed. */
export function needsStep(h: HostRun, step: SecurityStep): boolean {
  const c = step.component;
  if (!runs(h, c)) return false;
  const at = stageIndex(c, stageOf(h, c));
  const to = stageIndex(c, step.stage);
  return at < to || (at === to && h.stages !== undefined && h.restart.has(COMPONENT[c].unit));
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
  for (const c of ["consul", "nomad"] as const) {
    const here = ctx.hosts.filter((h) => runs(h, c)).map((h) => stageOf(h, c));
    if (here.length === 0) continue;
    const low = here.reduce((a, b) => (stageIndex(c, b) < stageIndex(c, a) ? b : a));
    const left = steps.filter((s) => s.step.component === c).length;
    if (left === 0) continue;
    const { title, words } = MIGRATING[c];
    ctx.out.info(
      `${title}: this cluster is at stage "${low}" of np's migration to TLS and ACLs (${words[low]}); ` +
        `${counted(left, "step")} to go, each a rolling restart of ${title} ` +
        "(servers one at a time behind the quorum health gate, the leader last, then the other agents one at a time behind their checks)",
    );
  }
  ctx.out.info(`the migration's steps, in the order np up takes them (${steps.length} to go):`);
  const hosts = ctx.hosts.map((h) => ({
    name: h.spec.name,
    server: isServer(h.spec),
    stages: Object.fromEntries(
      (["consul", "nomad"] as const).filter((c) => runs(h, c)).map((c) => [c, stageOf(h, c)]),
    ),
    restartOwed: (["consul", "nomad"] as const).filter(
      (c) => h.stages !== undefined && h.restart.has(COMPONENT[c].unit),
    ),
  }));
  for (const line of planText(planMigration(hosts, SECURITY_STEPS), SECURITY_STEPS)) ctx.out.info(line);
}
