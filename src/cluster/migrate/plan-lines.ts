import {
  CONSUL_STAGE_WORDS,
  CONSUL_STAGES,
  type ConsulStage,
  consulSecurityAt,
  consulStageIndex,
} from "../../components/consul/migrate-stages.js";

/** A host as the migration's plan sees it. */
export interface MigratingHost {
  name: string;
  server: boolean;
  stage: ConsulStage;
  /** Consul's restart is owed at the host's own stage (a file of it written, the restart not yet done). */
  restartOwed: boolean;
}

/** A step of the migration as the plan lists it (steps.ts has the code that runs it). */
export interface PlannedStep {
  stage: ConsulStage;
  /** What np does once every server is at the stage, before the other agents move, in words. */
  afterServersWords?: string;
  afterServices?: boolean;
}

/** What one host does at one step. */
export type HostMove = "restart" | "unchanged" | "ahead";

/** One line of the plan: a host at a step, or a step's own action between its servers and its agents. */
export interface PlanLine {
  n: number;
  stage: ConsulStage;
  host?: string;
  server?: boolean;
  move?: HostMove;
  action?: string;
}

/**
 * Every host's part at every step, in the order `np up` takes them: at each step the servers one at a time, then
 * the step's action, then the other agents one at a time. A host's consul.hcl changes at a step when the TLS and
 * ACL settings of its role change (a client's do not when servers only accept TLS): it is restarted; a host
 * already past the step is left as it is. Steps no host needs are left out. Pure: `np plan` and the tests use it.
 */
export function planMigration(hosts: readonly MigratingHost[], steps: readonly PlannedStep[]): PlanLine[] {
  const at = new Map(hosts.map((h) => [h.name, h.stage]));
  const owed = new Set(hosts.filter((h) => h.restartOwed).map((h) => h.name));
  const lines: PlanLine[] = [];
  steps.forEach((step, i) => {
    const n = i + 1;
    const to = consulStageIndex(step.stage);
    const needs = (h: MigratingHost) => {
      const from = consulStageIndex(at.get(h.name) ?? "secure");
      return from < to || (from === to && owed.has(h.name));
    };
    if (!hosts.some(needs)) return;
    const move = (h: MigratingHost): PlanLine => {
      const from = at.get(h.name) ?? "secure";
      const line = { n, stage: step.stage, host: h.name, server: h.server };
      if (consulStageIndex(from) > to) return { ...line, move: "ahead" };
      const changes =
        JSON.stringify(consulSecurityAt(from, h.server)) !==
        JSON.stringify(consulSecurityAt(step.stage, h.server));
      const restart = changes || owed.has(h.name);
      owed.delete(h.name);
      at.set(h.name, step.stage);
      return { ...line, move: restart ? "restart" : "unchanged" };
    };
    for (const h of hosts.filter((x) => x.server)) lines.push(move(h));
    if (step.afterServersWords) lines.push({ n, stage: step.stage, action: step.afterServersWords });
    for (const h of hosts.filter((x) => !x.server)) lines.push(move(h));
  });
  return lines;
}

const MOVE_WORDS: Record<HostMove, (server: boolean) => string> = {
  restart: (server) =>
    server
      ? "write consul.hcl, restart consul, wait until it is back in a healthy quorum"
      : "write consul.hcl, restart consul, wait until its checks pass again",
  unchanged: () => "consul.hcl unchanged at this step, no restart",
  ahead: () => "already past this step",
};

/** The plan in words, one line per step per host (and per step's action), numbered within the whole migration. */
export function planText(lines: readonly PlanLine[], steps: readonly PlannedStep[]): string[] {
  const width = Math.max(...CONSUL_STAGES.map((s) => s.length));
  const nameWidth = Math.max(0, ...lines.map((l) => (l.host ? l.host.length + (l.server ? 9 : 0) : 0)));
  const out: string[] = [];
  let last = 0;
  for (const l of lines) {
    if (l.n !== last) {
      const step = steps[l.n - 1];
      const when = step?.afterServices ? " (after the other services restarted with their tokens)" : "";
      out.push(`  step ${l.n}/${steps.length} ${l.stage}: ${CONSUL_STAGE_WORDS[l.stage]}${when}`);
      last = l.n;
    }
    const tag = `${l.n}/${steps.length} ${l.stage.padEnd(width)}`;
    if (l.action) out.push(`    ${tag}  then: ${l.action}`);
    else if (l.host && l.move) {
      const who = `${l.host}${l.server ? " (server)" : ""}`;
      out.push(`    ${tag}  ${who.padEnd(nameWidth)}  ${MOVE_WORDS[l.move](Boolean(l.server))}`);
    }
  }
  return out;
}
