import type { JobRead, NomadApi } from "../api/nomad.js";
import { JOB_META } from "../app/build-job.js";
import type { AllocationListStub, Deployment } from "../app/nomad-responses.js";
import { isNpJob } from "./app-job.js";
import { appUrl } from "./app-url.js";
import { runningApp } from "./finish.js";

/** One app in `np status`: what Nomad runs of it. Never an env value. */
export interface AppRow {
  name: string;
  version: number;
  /** Nomad's job status: pending | running | dead (stopped apps are dead). */
  status: string;
  stopped: boolean;
  desired: number;
  running: number;
  healthy: number;
  /** The latest deployment's status and description, or null when there was none. */
  deployment: { version: number; status: string; description: string } | null;
  url: string | null;
}

/** Counts of an app's instances: desired by the job, running, and running and healthy (Nomad's deployment health). */
export function appRow(job: JobRead, allocs: readonly AllocationListStub[], d: Deployment | null): AppRow {
  const live = allocs.filter((a) => a.ClientStatus === "running" && a.DesiredStatus === "run");
  const { route } = runningApp(job);
  return {
    name: job.ID,
    version: job.Version,
    status: job.Status,
    stopped: job.Stop,
    desired: job.Stop ? 0 : job.TaskGroups.reduce((n, g) => n + g.Count, 0),
    running: live.length,
    healthy: live.filter((a) => a.DeploymentStatus?.Healthy === true).length,
    deployment: d ? { version: d.JobVersion, status: d.Status, description: d.StatusDescription } : null,
    url: route ? appUrl(route) : null,
  };
}

/** Every app np deployed (jobs with np's Meta), each read in parallel: job, allocations, latest deployment. */
export async function readApps(nomad: NomadApi): Promise<AppRow[]> {
  const jobs = (await nomad.jobs()).filter((j) => isNpJob(j.Meta));
  const rows = await Promise.all(
    jobs.map(async (stub) => {
      const [job, allocs, d] = await Promise.all([
        nomad.job(stub.ID),
        nomad.jobAllocations(stub.ID),
        nomad.latestDeployment(stub.ID),
      ]);
      return job.body ? appRow(job.body, allocs.body, d.body) : null;
    }),
  );
  return rows
    .filter((r): r is AppRow => r !== null)
    .toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The apps as a table's rows (header first). */
export function appTable(rows: readonly AppRow[]): string[][] {
  return [
    ["APP", "VERSION", "DESIRED", "RUNNING", "HEALTHY", "DEPLOYMENT", "URL"],
    ...rows.map((r) => [
      r.name,
      String(r.version),
      r.stopped ? "stopped" : String(r.desired),
      String(r.running),
      String(r.healthy),
      r.deployment ? `${r.deployment.status} (v${r.deployment.version})` : "-",
      r.url ?? "-",
    ]),
  ];
}

/** Whether the job's spec hash (np's Meta) matches: `np status APP` says when what runs is not np.yaml's. */
export const specHashOf = (job: JobRead) => job.Meta?.[JOB_META.specHash] ?? "";
