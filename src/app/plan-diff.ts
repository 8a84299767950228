import { formatDuration } from "./duration.js";
import type {
  DesiredUpdates,
  FieldDiff,
  JobPlanResponse,
  ObjectDiff,
  TaskDiff,
  TaskGroupDiff,
} from "./nomad-responses.js";

/** Nomad's plan (`POST /v1/job/:id/plan` with Diff) as lines a person reads before deploying. */
export interface RenderedPlan {
  /** The job is as submitted and Nomad would place, stop or update nothing: the deploy can end here. */
  noChanges: boolean;
  /** What happens to the instances, over all groups: `1 to place, 2 to replace` (or `no changes`). */
  summary: string;
  /** The diff, one change per line, indented by level; env values and other secrets shown as (secret). */
  lines: string[];
  /** Nomad's warnings about the job (deprecated or dubious settings). */
  warnings: string[];
}

/** What each of Nomad's counts means for the app's instances, in the order np lists them. */
const ACTIONS: [keyof DesiredUpdates, string][] = [
  ["Place", "to place"],
  ["InPlaceUpdate", "to update in place"],
  ["DestructiveUpdate", "to replace (destroy, then create)"],
  ["Canary", "canaries to start"],
  ["Migrate", "to migrate"],
  ["Stop", "to destroy"],
  ["Ignore", "unchanged"],
];

/** The same counts as a task group diff's `Updates` names them (scheduler/annotate.go). */
const UPDATE_TYPES: Record<string, keyof DesiredUpdates> = {
  create: "Place",
  "in-place update": "InPlaceUpdate",
  "create/destroy update": "DestructiveUpdate",
  canary: "Canary",
  migrate: "Migrate",
  destroy: "Stop",
  ignore: "Ignore",
};

const SYMBOL: Record<string, string> = { Added: "+", Deleted: "-", Edited: "~" };

/**
 * Renders a plan response. A new or removed group or task is one line unless `verbose`; an edited one lists
 * each changed field as `old → new`. Env values, and fields whose names say they hold a secret, are never shown.
 */
export function renderPlan(plan: JobPlanResponse, options: { verbose?: boolean } = {}): RenderedPlan {
  const diff = plan.Diff ?? undefined;
  const groups = objects<TaskGroupDiff>(diff?.TaskGroups);
  const updates = new Map<string, DesiredUpdates>();
  for (const g of groups) updates.set(g.Name, updatesFromDiff(g));
  for (const [name, u] of Object.entries(plan.Annotations?.DesiredTGUpdates ?? {})) updates.set(name, u);
  const total: DesiredUpdates = {};
  for (const u of updates.values())
    for (const [key] of ACTIONS) total[key] = (total[key] ?? 0) + (u[key] ?? 0);
  const moves = ACTIONS.some(([key]) => key !== "Ignore" && (total[key] ?? 0) > 0);
  const type = diff?.Type ?? "None";
  const noChanges = type === "None" && !moves;
  const lines: string[] = [];
  const id = diff?.ID ?? "";
  if (type === "None") lines.push(`job "${id}": no changes to the job`);
  else lines.push(`${SYMBOL[type] ?? "~"} job "${id}"${type === "Added" ? " (new)" : ""}`);
  const r = new Renderer(lines, options.verbose ?? false);
  if (type === "Edited") r.members(diff ?? { Type: "None", Name: "" }, 1);
  for (const g of groups) {
    const counts = describeCounts(updates.get(g.Name) ?? {});
    const head = `group "${g.Name}"${counts ? `: ${counts}` : ""}`;
    if (g.Type === "None") {
      if (counts) lines.push(`  ${head}`);
      continue;
    }
    lines.push(`  ${SYMBOL[g.Type] ?? "~"} ${head}`);
    if (g.Type === "Edited" || r.verbose) r.members(g, 2);
    for (const t of objects<TaskDiff>(g.Tasks)) r.task(t);
  }
  return {
    noChanges,
    summary: noChanges ? "no changes" : describeCounts(total) || "the job changes, no instance does",
    lines,
    warnings: (plan.Warnings ?? "")
      .split("\n")
      .map((w) => w.trim())
      .filter(Boolean),
  };
}

/** `2 to place, 1 unchanged`; "" when every count is zero. */
function describeCounts(u: DesiredUpdates): string {
  return ACTIONS.filter(([key]) => (u[key] ?? 0) > 0)
    .map(([key, words]) => `${u[key]} ${words}`)
    .join(", ");
}

function updatesFromDiff(g: TaskGroupDiff): DesiredUpdates {
  const out: DesiredUpdates = {};
  for (const [type, n] of Object.entries(g.Updates ?? {})) {
    const key = UPDATE_TYPES[type];
    if (key) out[key] = n;
  }
  return out;
}

/** The objects of a diff list (Nomad writes empty lists as null; the docs' samples hold "..." placeholders). */
function objects<T extends object>(list: readonly unknown[] | null | undefined): T[] {
  return (list ?? []).filter((x): x is T => x !== null && typeof x === "object");
}

/** Writes fields and objects of a diff as indented lines. */
class Renderer {
  constructor(
    private readonly lines: string[],
    readonly verbose: boolean,
  ) {}

  task(t: TaskDiff): void {
    if (t.Type === "None") return;
    const why = (t.Annotations ?? []).join(", ");
    this.lines.push(`    ${SYMBOL[t.Type] ?? "~"} task "${t.Name}"${why ? ` (${why})` : ""}`);
    // A task that comes or goes (with its group or alone) is one line unless every field is asked for.
    if (t.Type === "Edited" || this.verbose) this.members(t, 3);
  }

  /** The changed fields and objects of `d`, at `level` (two spaces each). */
  members(d: ObjectDiff, level: number, prefix = "", secret = false): void {
    for (const f of objects<FieldDiff>(d.Fields)) this.field(f, level, prefix, secret);
    for (const o of objects<ObjectDiff>(d.Objects)) this.object(o, level, prefix, secret);
  }

  private field(f: FieldDiff, level: number, prefix: string, inSecret: boolean): void {
    if (f.Type === "None") return;
    // A set of strings (Datacenters, Tags) is an object whose fields carry its own name: say it once.
    const own = prefix === `${f.Name}.` || prefix.endsWith(`.${f.Name}.`);
    const name = own ? prefix.slice(0, -1) : `${prefix}${f.Name}`;
    const secret = inSecret || isSecretField(name);
    const show = (v: string) => (secret ? "(secret)" : formatValue(f.Name, v));
    const why = (f.Annotations ?? []).length > 0 ? ` (${(f.Annotations ?? []).join(", ")})` : "";
    const change =
      f.Type === "Added"
        ? show(f.New)
        : f.Type === "Deleted"
          ? show(f.Old)
          : secret
            ? "(secret, changed)"
            : `${show(f.Old)} → ${show(f.New)}`;
    this.push(level, `${SYMBOL[f.Type] ?? "~"} ${name}: ${change}${why}`);
  }

  private object(o: ObjectDiff, level: number, prefix: string, inSecret: boolean): void {
    if (o.Type === "None") return;
    const secret = inSecret || isSecretObject(o.Name);
    if (o.Type === "Edited" || this.verbose) {
      this.members(o, level, `${prefix}${o.Name}.`, secret);
      return;
    }
    // A whole object added or removed: one line with its identifying fields.
    const fields = objects<FieldDiff>(o.Fields);
    const named = fields.find((f) => f.Name === "Name");
    const value = (f: FieldDiff) => (o.Type === "Deleted" ? f.Old : f.New);
    const inline =
      named !== undefined
        ? ` ${JSON.stringify(value(named))}`
        : fields.length > 0 && fields.length <= 4 && objects(o.Objects).length === 0
          ? `: ${fields.map((f) => `${f.Name}=${secret || isSecretField(f.Name) ? "(secret)" : formatValue(f.Name, value(f))}`).join(", ")}`
          : "";
    this.push(level, `${SYMBOL[o.Type] ?? "~"} ${prefix}${o.Name}${inline}`);
  }

  private push(level: number, text: string): void {
    this.lines.push(`${"  ".repeat(level)}${text}`);
  }
}

/** Env values are secret (np.yaml's rule); so is any field whose name says it holds a password or token. */
function isSecretField(name: string): boolean {
  return /(^|\.)Env\[/.test(name) || /pass(word|wd)?|secret|token|credential|api_?key/i.test(name);
}

/** Objects whose whole content may be secret: templates can render secrets, Vault and identities hold tokens. */
function isSecretObject(name: string): boolean {
  return name === "Template" || name === "Vault" || name === "Identity";
}

/** Fields Nomad diffs as nanosecond counts. */
const DURATION_FIELDS = new Set([
  "Interval",
  "Timeout",
  "MinHealthyTime",
  "HealthyDeadline",
  "ProgressDeadline",
  "ShutdownDelay",
  "KillTimeout",
  "Stagger",
  "Delay",
  "MaxDelay",
  "Grace",
]);

function formatValue(name: string, value: string): string {
  if (DURATION_FIELDS.has(name) && /^\d+$/.test(value)) return formatDuration(Number(value));
  if (/^-?\d+(\.\d+)?$/.test(value) || value === "true" || value === "false") return value;
  // A hash (np's spec hash in Meta) is told apart by its first digits.
  if (/^[0-9a-f]{64}$/.test(value)) return `${value.slice(0, 12)}…`;
  return JSON.stringify(value);
}
