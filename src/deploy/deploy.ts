import type { NomadApi } from "../api/nomad.js";
import { planRequest, registerRequest } from "../app/build-job.js";
import { checkDrivers } from "../app/driver-check.js";
import type { NomadJob } from "../app/job-types.js";
import type { JobPlanResponse, NodeListStub } from "../app/nomad-responses.js";
import { explainPlacementFailures, formatPlacementFailures } from "../app/placement-failures.js";
import { renderPlan } from "../app/plan-diff.js";
import { revealSecrets } from "../app/secret.js";
import type { AppSpec } from "../app/types.js";
import { OperationError } from "../errors.js";
import type { Output } from "../output/port.js";
import type { EdgeHttp } from "./edge-http.js";
import { followAndFinish } from "./follow-and-finish.js";
import { refuseWhileRollingOut } from "./guard.js";
import { concurrentChange, isJobModifyConflict } from "./nomad-errors.js";

export interface DeployOptions {
  /** Stop after printing Nomad's plan. */
  dryRun: boolean;
  /** Return once Nomad accepted the job, without following the deployment. */
  detach: boolean;
  /** How long the app may take to answer 200 through an edge once deployed (default 60 s). */
  edgeDeadlineMs?: number;
}

/** What a deploy did, for `--json` and for callers. */
export interface DeployResult {
  app: string;
  /** `no changes`, or what happens to the instances: `1 to place, 2 to replace`. */
  plan: string;
  registered: boolean;
  evalId?: string;
  version?: number;
  url?: string;
}

/** Where a deploy talks to: Nomad and the edge (through SSH in the CLI; directly in tests and benchmarks). */
export interface DeployTarget {
  nomad: NomadApi;
  edge: () => Promise<EdgeHttp | null>;
}

/**
 * `np deploy`: the driver check against Nomad's clients, Nomad's plan (printed; env values never), then — unless
 * nothing changes or it is a dry run — the register with the plan's JobModifyIndex as check-and-set, and the
 * rollout followed to its end (see followRollout, finishRollout). Throws OperationError (exit 1) when the
 * deployment fails, the change is refused, or instances cannot be placed.
 */
export async function deployApp(
  target: DeployTarget,
  app: AppSpec,
  job: NomadJob,
  opts: DeployOptions,
  ctx: { out: Output; signal: AbortSignal },
): Promise<DeployResult> {
  const { nomad } = target;
  const { out } = ctx;
  const drivers = checkDrivers((await nomad.nodes()) as NodeListStub[], app.driver, job.Datacenters);
  if (!drivers.ok) throw new OperationError(`${app.name}: ${drivers.message}`, drivers.hint);
  if (drivers.message) out.warn(`${app.name}: ${drivers.message}${drivers.hint ? ` (${drivers.hint})` : ""}`);
  const plan: JobPlanResponse = await nomad.plan(job.ID, revealSecrets(planRequest(job)));
  const rendered = renderPlan(plan, { verbose: out.verbose });
  out.info(`Plan for ${app.name} (Nomad's dry run against what runs now; env values are never shown):`);
  for (const line of rendered.lines) out.info(`  ${line}`);
  for (const w of rendered.warnings) out.warn(`${app.name}: Nomad: ${w}`);
  out.info(`  => ${rendered.summary}`);
  const result: DeployResult = { app: app.name, plan: rendered.summary, registered: false };
  const unplaceable = explainPlacementFailures(plan.FailedTGAllocs, app);
  if (unplaceable.length > 0)
    throw new OperationError(
      `${app.name}: Nomad's plan cannot place every instance; nothing was registered:\n${formatPlacementFailures(
        unplaceable,
      )
        .map((l) => ` - ${l}`)
        .join("\n")}`,
      "free capacity or change np.yaml (count, cpu, memory, placement), then deploy again",
    );
  if (rendered.noChanges) {
    out.info(`${app.name} is up to date: what runs is what np.yaml says; nothing to deploy`);
    return result;
  }
  if (opts.dryRun) {
    out.info("dry run: nothing was registered");
    return result;
  }
  await refuseWhileRollingOut(nomad, job.ID);
  let registered: Awaited<ReturnType<NomadApi["register"]>>;
  try {
    registered = await nomad.register(revealSecrets(registerRequest(job, plan.JobModifyIndex)));
  } catch (err) {
    if (isJobModifyConflict(err)) throw concurrentChange(app.name, err);
    throw err;
  }
  Object.assign(result, { registered: true, evalId: registered.EvalID });
  if (opts.detach) {
    out.info(
      `${app.name}: registered (evaluation ${registered.EvalID.slice(0, 8)}); follow it with \`np status ${app.name}\``,
    );
    return result;
  }
  const done = await followAndFinish(target, job.ID, registered, {
    ...ctx,
    app,
    ...(opts.edgeDeadlineMs !== undefined && { edgeDeadlineMs: opts.edgeDeadlineMs }),
  });
  return { ...result, ...done };
}
