// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${node.class} and ${meta.k} are Nomad's constraint attributes
import { counted } from "../output/counted.js";
import type { AllocationMetric } from "./nomad-responses.js";
import type { AppSpec } from "./types.js";

/** Why the instances of one group could not be placed, in words that name np.yaml's fields. */
export interface PlacementFailure {
  group: string;
  /** Instances not placed (the failed one plus Nomad's CoalescedFailures). */
  unplaced: number;
  reasons: string[];
}

/**
 * Explains an evaluation's (or a plan's) `FailedTGAllocs`: which filters excluded how many client nodes and
 * which resources ran out, e.g. "no client has a healthy docker driver (3 nodes filtered)" or "memory exhausted
 * on 2 nodes (each instance needs 512 MB)". `app` makes the reasons name its driver and sizes.
 */
export function explainPlacementFailures(
  failed: Record<string, AllocationMetric> | null | undefined,
  app?: Pick<AppSpec, "driver" | "cpu" | "memoryMb">,
): PlacementFailure[] {
  return Object.entries(failed ?? {}).map(([group, m]) => ({
    group,
    unplaced: 1 + (m.CoalescedFailures ?? 0),
    reasons: reasonsOf(m, app),
  }));
}

/** The failures as lines: `group "web": 3 instances not placed: reason; reason`. */
export function formatPlacementFailures(failures: readonly PlacementFailure[]): string[] {
  return failures.map(
    (f) => `group "${f.group}": ${counted(f.unplaced, "instance")} not placed: ${f.reasons.join("; ")}`,
  );
}

function reasonsOf(
  m: AllocationMetric,
  app: Pick<AppSpec, "driver" | "cpu" | "memoryMb"> | undefined,
): string[] {
  const reasons: string[] = [];
  const evaluated = m.NodesEvaluated ?? 0;
  const empty = Object.entries(m.NodesAvailable ?? {}).filter(([, n]) => n === 0);
  for (const [dc] of empty) reasons.push(`no client node is available in datacenter "${dc}"`);
  if (evaluated === 0 && empty.length === 0) reasons.push("no client node was eligible to run it");
  const filtered = Object.entries(m.ConstraintFiltered ?? {});
  for (const [constraint, n] of filtered) reasons.push(filterReason(constraint, n, evaluated, app));
  const unexplained = (m.NodesFiltered ?? 0) - filtered.reduce((sum, [, n]) => sum + n, 0);
  if (unexplained > 0) reasons.push(`${counted(unexplained, "node")} filtered out`);
  const dimensions = Object.entries(m.DimensionExhausted ?? {});
  for (const [dimension, n] of dimensions) reasons.push(exhaustedReason(dimension, n, app));
  if (dimensions.length === 0 && (m.NodesExhausted ?? 0) > 0)
    reasons.push(`resources exhausted on ${counted(m.NodesExhausted ?? 0, "node")}`);
  for (const quota of m.QuotaExhausted ?? []) reasons.push(`quota limit reached: ${quota}`);
  if (reasons.length === 0) reasons.push("Nomad gave no reason");
  return reasons;
}

/** One entry of ConstraintFiltered (scheduler/feasible.go names them) in np.yaml's terms. */
function filterReason(
  constraint: string,
  n: number,
  evaluated: number,
  app: Pick<AppSpec, "driver"> | undefined,
): string {
  const all = n === evaluated;
  if (constraint === "missing drivers") {
    const driver = app ? `a healthy ${app.driver} driver` : "the task's driver healthy";
    return all
      ? `no client has ${driver} (${counted(n, "node")} filtered)`
      : `${counted(n, "node")} without ${driver}`;
  }
  const nodeClass = /^\$\{node\.class\} = (.*)$/.exec(constraint);
  if (nodeClass)
    return `${counted(n, "node")} excluded by placement.node_class "${nodeClass[1]}" (their node_class differs)`;
  const meta = /^\$\{meta\.([^}]+)\} = (.*)$/.exec(constraint);
  if (meta)
    return `${counted(n, "node")} excluded by placement.labels ${meta[1]}=${meta[2]} (their Nomad meta differs)`;
  if (constraint === "computed class ineligible")
    return `${counted(n, "node")} skipped: same class as nodes already filtered out`;
  return `${counted(n, "node")} filtered out: ${constraint}`;
}

/** One entry of DimensionExhausted (nomad/structs/funcs.go, scheduler/rank.go name them). */
function exhaustedReason(
  dimension: string,
  n: number,
  app: Pick<AppSpec, "cpu" | "memoryMb"> | undefined,
): string {
  if (dimension === "memory")
    return `memory exhausted on ${counted(n, "node")}${app ? ` (each instance needs ${app.memoryMb} MB)` : ""}`;
  if (dimension === "cpu")
    return `CPU exhausted on ${counted(n, "node")}${app ? ` (each instance needs ${app.cpu} MHz)` : ""}`;
  if (dimension.startsWith("network: "))
    return `${dimension.slice("network: ".length)} on ${counted(n, "node")}`;
  return `${dimension} exhausted on ${counted(n, "node")}`;
}
