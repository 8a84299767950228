import type { Evaluation, JobRegisterResponse, NomadApi } from "../api/nomad.js";
import type { AllocationListStub } from "../app/nomad-responses.js";
import {
  explainPlacementFailures,
  formatPlacementFailures,
  type PlacementFailure,
} from "../app/placement-failures.js";
import type { AppSpec } from "../app/types.js";
import { Interrupted, OperationError } from "../errors.js";
import type { Output } from "../output/port.js";
import {
  type DeploymentWithIndex,
  deploymentForChange,
  type RolloutOutcome,
  rolloutStep,
} from "./follow-state.js";
import { ChangeNotifier, watchBlocking } from "./watch.js";

/** Nomad could not place some instances: it keeps a blocked evaluation and places them when capacity appears. */
export class PlacementFailed extends OperationError {
  constructor(
    readonly app: string,
    readonly failures: PlacementFailure[],
  ) {
    super(
      `${app}: Nomad cannot place every instance:\n${formatPlacementFailures(failures)
        .map((l) => ` - ${l}`)
        .join("\n")}`,
      `Nomad keeps trying (a blocked evaluation) and places them once a client fits; \`np stop ${app}\` gives up`,
    );
  }
}

/** Waits (blocking queries) until the evaluation left `pending`: the scheduler has placed what it could. */
export async function waitForEvaluation(
  nomad: NomadApi,
  id: string,
  signal: AbortSignal,
): Promise<Evaluation> {
  let index = 0;
  for (;;) {
    const r = await nomad.evaluation(id, { index, signal });
    if (r.body.Status !== "pending") return r.body;
    index = r.index;
  }
}

/**
 * Follows what a register, scale or revert started: the evaluation (placement failures end it at once, with
 * Nomad's reasons in np.yaml's words), then the deployment and, after an auto-revert, the rollback's deployment,
 * with one line per instance on `out`'s live block. Returns how it ended.
 */
export async function followRollout(
  nomad: NomadApi,
  jobId: string,
  started: JobRegisterResponse,
  ctx: { out: Output; signal: AbortSignal; app?: Pick<AppSpec, "driver" | "cpu" | "memoryMb"> },
): Promise<RolloutOutcome> {
  const live = ctx.out.liveLines(`${jobId}: waiting for Nomad's scheduler`);
  const stop = new AbortController();
  const signal = AbortSignal.any([ctx.signal, stop.signal]);
  let ok = false;
  let last = { title: "", lines: [] as readonly string[] };
  try {
    const evaluation = started.EvalID ? await waitForEvaluation(nomad, started.EvalID, signal) : null;
    const failed = explainPlacementFailures(evaluation?.FailedTGAllocs, ctx.app);
    if (failed.length > 0) throw new PlacementFailed(jobId, failed);
    let deployments: DeploymentWithIndex[] | undefined;
    let allocations: AllocationListStub[] | undefined;
    const changed = new ChangeNotifier();
    const watches = Promise.all([
      watchBlocking(
        (index, s) => nomad.jobDeployments(jobId, { index, signal: s }),
        (v) => {
          deployments = v;
          changed.notify();
        },
        signal,
      ),
      watchBlocking(
        (index, s) => nomad.jobAllocations(jobId, { index, signal: s }),
        (v) => {
          allocations = v;
          changed.notify();
        },
        signal,
      ),
    ]);
    const failedWatch = watches.then(
      () => undefined,
      (err: unknown) => err,
    );
    for (;;) {
      const err = await Promise.race([changed.next().then(() => undefined), failedWatch]);
      if (err !== undefined) throw err;
      // The watches end only when aborted (Ctrl-C): nothing more will change.
      if (signal.aborted) throw new Interrupted();
      // Until both reads answered once, there is nothing to judge.
      if (!deployments || !allocations) continue;
      const deploymentId =
        evaluation?.DeploymentID || deploymentForChange(started.JobModifyIndex, deployments)?.ID || "";
      const view = rolloutStep(
        { deploymentId, jobModifyIndex: started.JobModifyIndex },
        deployments,
        allocations,
        {
          events: 5,
        },
      );
      last = { title: `${jobId}: ${view.title}`, lines: view.lines };
      live.update(last.title, last.lines);
      if (view.outcome) {
        ok = view.outcome.ok;
        return view.outcome;
      }
    }
  } finally {
    stop.abort();
    await live.end(ok, last.title || `${jobId}: stopped`, last.lines);
  }
}
