import { counted } from "../output/counted.js";
import type { AllocationListStub, Deployment, DeploymentState, TaskEvent } from "./nomad-responses.js";

/** One instance of the app in a deployment. */
export interface InstanceProgress {
  /** The allocation's ID (full: the logs API needs it). */
  id: string;
  node: string;
  /** `5fc98185 on node1: running, healthy`. */
  line: string;
  /** It failed, or Nomad judged it unhealthy: its events (and stderr) explain the deployment's failure. */
  failed: boolean;
  /** Its task events, oldest first, as `Type: DisplayMessage` (the last few). */
  events: string[];
}

/** Where a deployment stands, in words, and what np should do next. */
export interface DeploymentSummary {
  /** The deployment ended (successful, failed or cancelled): stop following it. */
  done: boolean;
  /** It ended successfully. */
  ok: boolean;
  /** One line: `deployed version 3: 2 of 2 instances healthy`. */
  verdict: string;
  /** The job version Nomad rolls back to ("… - rolling back to job version N"): follow that deployment next. */
  revertedTo?: number;
  instances: InstanceProgress[];
}

const TERMINAL = new Set(["successful", "failed", "cancelled"]);

/** Nomad's auto-revert suffixes of a failed deployment's description (nomad/structs/structs.go). */
const ROLLBACK = / - rolling back to job version (\d+)$/;
const ROLLBACK_NOOP =
  / - not rolling back to stable job version (\d+) as current job has same specification$/;
const NO_ROLLBACK_TARGET = / - no stable job version to auto revert to$/;

/**
 * Summarises a deployment (`GET /v1/deployment/:id`, or `null` when the job has none) and the job's
 * allocations: a line per instance of the deployed version and a verdict, recognising Nomad's auto-revert.
 */
export function summarizeDeployment(
  deployment: Deployment | null,
  allocations: readonly AllocationListStub[],
  options: { events?: number } = {},
): DeploymentSummary {
  const mine = allocations
    .filter((a) => (deployment ? a.JobVersion === deployment.JobVersion : a.DesiredStatus === "run"))
    .toSorted(
      (a, b) =>
        a.Name.localeCompare(b.Name, "en", { numeric: true }) || (a.CreateIndex ?? 0) - (b.CreateIndex ?? 0),
    );
  const instances = mine.map((a) => instanceOf(a, options.events ?? 3));
  if (!deployment) return { done: true, ok: true, verdict: "no deployment for this job", instances };
  const status = deployment.Status;
  const states = Object.values(deployment.TaskGroups ?? {});
  const version = `version ${deployment.JobVersion}`;
  const base = deployment.StatusDescription.replace(ROLLBACK, "")
    .replace(ROLLBACK_NOOP, "")
    .replace(NO_ROLLBACK_TARGET, "");
  const revert = ROLLBACK.exec(deployment.StatusDescription);
  const revertedTo = revert ? Number(revert[1]) : undefined;
  let verdict: string;
  if (status === "successful") verdict = `deployed ${version}: ${healthy(states)}`;
  else if (status === "running" || status === "initializing" || status === "pending")
    verdict = `deploying ${version}: ${progress(states)}${canaryNote(deployment, states)}`;
  else if (status === "failed") verdict = `deployment of ${version} failed: ${base}${revertNote(deployment)}`;
  else if (status === "cancelled") verdict = `deployment of ${version} was cancelled: ${base}`;
  else verdict = `deployment of ${version} is ${status}${base ? `: ${base}` : ""}`;
  return {
    done: TERMINAL.has(status),
    ok: status === "successful",
    verdict,
    ...(revertedTo !== undefined && { revertedTo }),
    instances,
  };
}

function sum(states: readonly DeploymentState[], key: keyof DeploymentState): number {
  return states.reduce((n, s) => n + (typeof s[key] === "number" ? (s[key] as number) : 0), 0);
}

function healthy(states: readonly DeploymentState[]): string {
  return `${sum(states, "HealthyAllocs")} of ${sum(states, "DesiredTotal")} instances healthy`;
}

function progress(states: readonly DeploymentState[]): string {
  const unhealthy = sum(states, "UnhealthyAllocs");
  return `${sum(states, "PlacedAllocs")} of ${sum(states, "DesiredTotal")} placed, ${sum(states, "HealthyAllocs")} healthy${unhealthy ? `, ${unhealthy} unhealthy` : ""}`;
}

function canaryNote(d: Deployment, states: readonly DeploymentState[]): string {
  const canaries = sum(states, "DesiredCanaries");
  if (canaries === 0 || states.every((s) => s.Promoted)) return "";
  const placed = states.reduce((n, s) => n + (s.PlacedCanaries ?? []).length, 0);
  const waiting = /requires manual promotion/.test(d.StatusDescription)
    ? ", waiting to be promoted"
    : /pending automatic promotion/.test(d.StatusDescription)
      ? ", promoted automatically once healthy"
      : "";
  return ` (canaries: ${placed} of ${canaries} placed${waiting})`;
}

function revertNote(d: Deployment): string {
  const revert = ROLLBACK.exec(d.StatusDescription);
  if (revert) return `; Nomad is rolling back to version ${revert[1]}`;
  const noop = ROLLBACK_NOOP.exec(d.StatusDescription);
  if (noop) return `; not rolled back: version ${noop[1]} has the same specification`;
  if (NO_ROLLBACK_TARGET.test(d.StatusDescription)) return "; no stable version to roll back to";
  return "";
}

function instanceOf(a: AllocationListStub, keep: number): InstanceProgress {
  const tasks = Object.values(a.TaskStates ?? {});
  const events = tasks
    .flatMap((t) => t.Events ?? [])
    .toSorted((x, y) => x.Time - y.Time)
    .slice(-keep)
    .map(eventText);
  const health = a.DeploymentStatus?.Healthy;
  const restarts = tasks.reduce((n, t) => n + t.Restarts, 0);
  const failed = a.ClientStatus === "failed" || health === false || tasks.some((t) => t.Failed);
  const why = reason(a);
  const state =
    a.ClientStatus === "running"
      ? `running, ${health === true ? "healthy" : health === false ? "unhealthy" : "health not decided yet"}`
      : `${a.ClientStatus}${why ? ` (${why})` : ""}`;
  const extras = [
    a.DeploymentStatus?.Canary ? "canary" : "",
    restarts > 0 ? `${counted(restarts, "restart")}` : "",
    a.DesiredStatus !== "run" ? `Nomad wants it to ${a.DesiredStatus}` : "",
  ].filter(Boolean);
  const line = `${a.ID.slice(0, 8)} on ${a.NodeName}: ${state}${extras.length ? `; ${extras.join(", ")}` : ""}`;
  return { id: a.ID, node: a.NodeName, line, failed, events };
}

/**
 * Why an instance is not running, from its task events: how its task last ended and why it is not restarted
 * (`Exit Code: 1, Exceeded allowed attempts 2 in interval 30m0s and mode is "fail"`), else its latest event.
 */
function reason(a: AllocationListStub): string {
  const events = Object.values(a.TaskStates ?? {})
    .flatMap((t) => t.Events ?? [])
    .toSorted((x, y) => x.Time - y.Time);
  const text = (e: TaskEvent | undefined) => (e ? e.DisplayMessage || e.Message || e.Type : "");
  const ended = text(events.findLast((e) => e.Type === "Terminated"));
  const fatal = text(events.findLast((e) => e.FailsTask));
  const parts = [ended, fatal].filter((t, i, all) => t !== "" && all.indexOf(t) === i);
  return parts.length > 0 ? parts.join(", ") : text(events.at(-1)) || (a.ClientDescription ?? "");
}

function eventText(e: TaskEvent): string {
  const text = e.DisplayMessage || e.Message || "";
  return text ? `${e.Type}: ${text}` : e.Type;
}
