import type { JobRead, NomadApi } from "../api/nomad.js";
import { summarizeDeployment } from "../app/deployment-summary.js";
import type { AllocationListStub, Deployment, TaskEvent } from "../app/nomad-responses.js";
import { readAppJob } from "./app-job.js";
import { type AppRow, appRow, specHashOf } from "./status-apps.js";

/** One instance in `np status APP`. */
export interface InstanceRow {
  id: string;
  node: string;
  version: number;
  /** Nomad's client status (running, pending, complete, failed, lost). */
  state: string;
  desired: string;
  /** healthy | unhealthy | undecided */
  health: string;
  restarts: number;
}

/** `np status APP`: the app's row, its deployment, instances, recent task events and versions. */
export interface AppDetail {
  app: AppRow;
  deployment: { id: string; version: number; status: string; verdict: string } | null;
  instances: InstanceRow[];
  /** The latest task events over all instances, newest last: `time`, the instance, `type: message`. */
  events: { time: string; alloc: string; node: string; event: string }[];
  versions: { version: number; stable: boolean; submitted: string; specSha256: string; current: boolean }[];
}

const EVENTS = 10;

export function instanceRow(a: AllocationListStub): InstanceRow {
  const tasks = Object.values(a.TaskStates ?? {});
  const h = a.DeploymentStatus?.Healthy;
  return {
    id: a.ID,
    node: a.NodeName,
    version: a.JobVersion,
    state: a.ClientStatus,
    desired: a.DesiredStatus,
    health: h === true ? "healthy" : h === false ? "unhealthy" : "undecided",
    restarts: tasks.reduce((n, t) => n + t.Restarts, 0),
  };
}

/** Builds the detail from what Nomad returned (pure, for tests). */
export function appDetail(
  job: JobRead,
  allocs: readonly AllocationListStub[],
  d: Deployment | null,
  versions: readonly JobRead[],
): AppDetail {
  const summary = summarizeDeployment(d, allocs);
  const events = allocs
    .flatMap((a) =>
      Object.values(a.TaskStates ?? {}).flatMap((t) => (t.Events ?? []).map((e: TaskEvent) => ({ a, e }))),
    )
    .toSorted((x, y) => x.e.Time - y.e.Time)
    .slice(-EVENTS)
    .map(({ a, e }) => ({
      time: new Date(e.Time / 1e6).toISOString(),
      alloc: a.ID.slice(0, 8),
      node: a.NodeName,
      event: `${e.Type}${e.DisplayMessage || e.Message ? `: ${e.DisplayMessage || e.Message}` : ""}`,
    }));
  return {
    app: appRow(job, allocs, d),
    deployment: d ? { id: d.ID, version: d.JobVersion, status: d.Status, verdict: summary.verdict } : null,
    instances: allocs.toSorted((a, b) => (b.CreateIndex ?? 0) - (a.CreateIndex ?? 0)).map(instanceRow),
    events,
    versions: versions
      .toSorted((a, b) => b.Version - a.Version)
      .map((v) => ({
        version: v.Version,
        stable: v.Stable,
        submitted: new Date(v.SubmitTime / 1e6).toISOString(),
        specSha256: specHashOf(v),
        current: v.Version === job.Version,
      })),
  };
}

/** Reads one app's detail from Nomad (four reads in parallel after the job). */
export async function readAppDetail(nomad: NomadApi, app: string): Promise<AppDetail> {
  const job = await readAppJob(nomad, app);
  const [allocs, d, versions] = await Promise.all([
    nomad.jobAllocations(app),
    nomad.latestDeployment(app),
    nomad.jobVersions(app),
  ]);
  return appDetail(job, allocs.body, d.body, versions);
}
