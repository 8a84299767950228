import type { JobRead, NomadApi } from "../api/nomad.js";
import { OperationError } from "../errors.js";
import type { Output } from "../output/port.js";
import { type AppRoute, appUrl, routeFromTags } from "./app-url.js";
import { checkThroughEdge, type EdgeHttp, explainEdgeAnswer } from "./edge-http.js";
import { explainFailedInstances } from "./failure-report.js";
import type { RolloutOutcome } from "./follow-state.js";

/** What finishing a rollout needs beside Nomad. */
export interface FinishContext {
  nomad: NomadApi;
  out: Output;
  signal: AbortSignal;
  edge: () => Promise<EdgeHttp | null>;
  /** How long the app may take to answer through the edge after a successful deployment. */
  edgeDeadlineMs: number;
}

/** The app's task, route and health path as the job Nomad runs now says them. */
export interface RunningApp {
  task: string;
  route: AppRoute | null;
  healthPath: string;
}

/** Reads what finishing needs from the job as registered in Nomad. */
export function runningApp(job: JobRead): RunningApp {
  const group = job.TaskGroups[0];
  const service = group?.Services?.[0];
  return {
    task: group?.Tasks[0]?.Name ?? job.ID,
    route: routeFromTags(job.ID, service?.Tags),
    healthPath: service?.Checks?.[0]?.Path || "/",
  };
}

/**
 * Ends a followed rollout the way the user needs it. Success: the app's health path through an edge with its
 * host name until 200, then its URL. Failure: why each failed instance failed (task events, stderr tail), what
 * Nomad's auto-revert did and which version runs now; then an OperationError (exit 1).
 */
export async function finishRollout(
  jobId: string,
  outcome: RolloutOutcome,
  ctx: FinishContext,
): Promise<{ url?: string; version?: number }> {
  const job = (await ctx.nomad.job(jobId)).body;
  const app = job ? runningApp(job) : { task: jobId, route: null, healthPath: "/" };
  if (!outcome.ok) {
    for (const line of await explainFailedInstances(ctx.nomad, outcome.summary.instances, app.task))
      ctx.out.info(line);
    throw new OperationError(failureMessage(jobId, outcome, job), failureHint(jobId, outcome));
  }
  const version = outcome.deployment?.JobVersion ?? job?.Version;
  if (!app.route) {
    ctx.out.info(
      `${jobId} runs (no domains in np.yaml: not routed by Traefik; inside the cluster: ${jobId}.service.consul)`,
    );
    return { ...(version !== undefined && { version }) };
  }
  const edge = await ctx.edge();
  const url = appUrl(app.route);
  if (!edge) {
    ctx.out.warn(`${jobId}: the inventory has no edge node to check ${url} through`);
    return { url, ...(version !== undefined && { version }) };
  }
  const check = await checkThroughEdge(edge, app.route, app.healthPath, {
    deadlineMs: ctx.edgeDeadlineMs,
    signal: ctx.signal,
  });
  if (!check.ok) {
    const why = explainEdgeAnswer(check.why);
    throw new OperationError(
      `${jobId}: deployed, but ${check.url} does not answer 200 through ${edge.name}: ${check.why}${why ? ` (${why})` : ""}`,
      `see \`np status ${jobId}\` and \`np logs ${jobId}\``,
    );
  }
  ctx.out.info(`${jobId} is live: ${url} (${app.healthPath} answered 200 through ${edge.name})`);
  return { url, ...(version !== undefined && { version }) };
}

function failureMessage(jobId: string, o: RolloutOutcome, job: JobRead | null): string {
  const head = `${jobId}: ${o.summary.verdict}`;
  if (!o.revert) return job ? `${head}; version ${job.Version} is registered` : head;
  const r = o.revert;
  const as = r.deployment ? ` (registered again as version ${r.deployment.JobVersion})` : "";
  if (r.summary?.ok)
    return `${head}\nNomad rolled back: version ${r.toVersion} runs now${as}, ${r.summary.verdict.replace(/^deployed version \d+: /, "")}`;
  return `${head}\nNomad's rollback to version ${r.toVersion}${as} did not succeed either: ${r.summary?.verdict ?? "no deployment"}`;
}

function failureHint(jobId: string, o: RolloutOutcome): string {
  return o.revert?.summary?.ok
    ? `fix the app and deploy again; \`np logs ${jobId} --stderr\` shows the running version's errors`
    : `see \`np status ${jobId}\` and \`np logs ${jobId} --stderr\`; \`np rollback ${jobId}\` returns to the previous version`;
}
