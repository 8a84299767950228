import type { NomadApi } from "../api/nomad.js";
import { busyApp } from "./nomad-errors.js";

/** Evaluations that are still to be scheduled: a change was registered and Nomad has not acted on it yet. */
const PENDING = "pending";

/**
 * Refuses (OperationError) when a change of the job is rolling out: a running deployment, or a registered
 * change whose evaluation is still pending. Run after the plan: a change registered between the plan and the
 * register is caught by the plan's JobModifyIndex (check-and-set), one registered before the plan by this.
 */
export async function refuseWhileRollingOut(nomad: NomadApi, jobId: string): Promise<void> {
  const [latest, evaluations] = await Promise.all([
    nomad.latestDeployment(jobId),
    nomad.jobEvaluations(jobId).catch(() => []),
  ]);
  const d = latest.body;
  if (d && ["running", "pending", "initializing", "paused", "blocked", "unblocking"].includes(d.Status))
    throw busyApp(jobId, `a deployment of version ${d.JobVersion} is ${d.Status} (${d.StatusDescription})`);
  const pending = evaluations.find((e) => e.Status === PENDING && e.TriggeredBy !== "deployment-watcher");
  if (pending) throw busyApp(jobId, `a change (${pending.TriggeredBy}) is waiting for Nomad's scheduler`);
}
