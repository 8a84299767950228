import { MIGRATING, type MigratingComponent, stageIndex } from "./migrating.js";

/** A host as the migration's plan sees it. */
export interface MigratingHost {
  name: string;
  server: boolean;
  /** Its stage per component; a component absent from the host (no Nomad on an edge) has none. */
  stages: Partial<Record<MigratingComponent, string>>;
  /** Components whose restart is owed at the host's own stage (a file of it written, the restart not yet done). */
  restartOwed: readonly MigratingComponent[];
}

/** A step of the migration as the plan lists it (steps.ts has the code that runs it). */
export interface PlannedStep {
  component: MigratingComponent;
  stage: string;
  /** What np does once every server is at the stage, before the other agents move, in words. */
  afterServersWords?: string;
  afterServices?: boolean;
}

/** What one host does at one step. */
export type HostMove = "restart" | "unchanged" | "ahead";

/** One line of the plan: a host at a step, or a step's own action between its servers and its agents. */
export interface PlanLine {
  n: number;
  component: MigratingComponent;
  stage: string;
  host?: string;
  server?: boolean;
  move?: HostMove;
  action?: string;
}

/**
 * Every host's part at every step, in the order `np up` takes them: at each step the servers one at a time, then
 * the step's action, then the other agents one at a time. A host's file changes at a step when the TLS and ACL
 * settings of its role change (a Consul client's do not when servers only accept TLS): it is restarted; a host
 * already past the step is left as it is; a host without the component has no part. Steps no host needs are left
 * out. Pure: `np plan` and the tests use it.
 */
export function planMigration(hosts: readonly MigratingHost[], steps: readonly PlannedStep[]): PlanLine[] {
  const at = new Map(hosts.map((h) => [h.name, { ...h.stages }]));
  const owed = new Set(hosts.flatMap((h) => h.restartOwed.map((c) => `${c}@${h.name}`)));
  const lines: PlanLine[] = [];
  steps.forEach((step, i) => {
    const n = i + 1;
    const c = step.component;
    const to = stageIndex(c, step.stage);
    const here = hosts.filter((h) => at.get(h.name)?.[c] !== undefined);
    const stageOf = (h: MigratingHost) => at.get(h.name)?.[c] ?? step.stage;
    const needs = (h: MigratingHost) => {
      const from = stageIndex(c, stageOf(h));
      return from < to || (from === to && owed.has(`${c}@${h.name}`));
    };
    if (!here.some(needs)) return;
    const move = (h: MigratingHost): PlanLine => {
      const from = stageOf(h);
      const line = { n, component: c, stage: step.stage, host: h.name, server: h.server };
      if (stageIndex(c, from) > to) return { ...line, move: "ahead" };
      const security = MIGRATING[c].security;
      const changes =
        JSON.stringify(security(from, h.server)) !== JSON.stringify(security(step.stage, h.server));
      const restart = changes || owed.has(`${c}@${h.name}`);
      owed.delete(`${c}@${h.name}`);
      const stages = at.get(h.name);
      if (stages) stages[c] = step.stage;
      return { ...line, move: restart ? "restart" : "unchanged" };
    };
    for (const h of here.filter((x) => x.server)) lines.push(move(h));
    if (step.afterServersWords)
      lines.push({ n, component: c, stage: step.stage, action: step.afterServersWords });
    for (const h of here.filter((x) => !x.server)) lines.push(move(h));
  });
  return lines;
}

function moveWords(move: HostMove, c: MigratingComponent, server: boolean): string {
  const { file, unit } = MIGRATING[c];
  if (move === "ahead") return "already past this step";
  if (move === "unchanged") return `${file} unchanged at this step, no restart`;
  return server
    ? `write ${file}, restart ${unit}, wait until it is back in a healthy quorum`
    : c === "consul"
      ? `write ${file}, restart ${unit}, wait until its checks pass again`
      : `write ${file}, restart ${unit}, wait until its node is ready and its checks pass again`;
}

/** The plan in words, one line per step per host (and per step's action), numbered within the whole migration. */
export function planText(lines: readonly PlanLine[], steps: readonly PlannedStep[]): string[] {
  const tagOf = (c: MigratingComponent, stage: string) => `${c} ${stage}`;
  const width = Math.max(...steps.map((s) => tagOf(s.component, s.stage).length));
  const nameWidth = Math.max(0, ...lines.map((l) => (l.host ? l.host.length + (l.server ? 9 : 0) : 0)));
  const out: string[] = [];
  let last = 0;
  for (const l of lines) {
    if (l.n !== last) {
      const step = steps[l.n - 1];
      const when = step?.afterServices ? " (after the other services restarted with their tokens)" : "";
      const words = MIGRATING[l.component].words[l.stage];
      out.push(`  step ${l.n}/${steps.length} ${tagOf(l.component, l.stage)}: ${words}${when}`);
      last = l.n;
    }
    const tag = `${l.n}/${steps.length} ${tagOf(l.component, l.stage).padEnd(width)}`;
    if (l.action) out.push(`    ${tag}  then: ${l.action}`);
    else if (l.host && l.move) {
      const who = `${l.host}${l.server ? " (server)" : ""}`;
      out.push(`    ${tag}  ${who.padEnd(nameWidth)}  ${moveWords(l.move, l.component, Boolean(l.server))}`);
    }
  }
  return out;
}
