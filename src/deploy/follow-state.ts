import { type DeploymentSummary, summarizeDeployment } from "../app/deployment-summary.js";
import type { AllocationListStub, Deployment } from "../app/nomad-responses.js";

/** A deployment as Nomad lists it, with the indexes np orders and matches deployments by. */
export type DeploymentWithIndex = Deployment & { CreateIndex?: number; JobModifyIndex?: number };

/** Which deployment a rollout follows: the evaluation's, else the one created for the registered job. */
export interface RolloutTarget {
  /** The evaluation's DeploymentID ("" when Nomad created none). */
  deploymentId: string;
  /** The JobModifyIndex of the register (or scale, revert) that started the rollout. */
  jobModifyIndex: number;
}

/** How a rollout ended. */
export interface RolloutOutcome {
  ok: boolean;
  /** The deployment np followed (null: the change needed none, e.g. nothing to place). */
  deployment: DeploymentWithIndex | null;
  summary: DeploymentSummary;
  /** Nomad rolled back (auto_revert): to which version, as which new version, and how that went. */
  revert?: {
    toVersion: number;
    deployment: DeploymentWithIndex | null;
    summary: DeploymentSummary | null;
  };
}

/** Where a rollout stands: the live block's title and lines, and the outcome once it ended. */
export interface RolloutView {
  title: string;
  lines: string[];
  outcome?: RolloutOutcome;
}

/**
 * One step of following a rollout (pure: the caller re-runs it on every change of the job's deployments or
 * allocations, both read with blocking queries). It recognises the end of the deployment, and after a failure
 * Nomad's auto-revert ("… - rolling back to job version N"), whose new deployment it then follows to its end.
 */
export function rolloutStep(
  target: RolloutTarget,
  deployments: readonly DeploymentWithIndex[],
  allocations: readonly AllocationListStub[],
  options: { events?: number } = {},
): RolloutView {
  const mine = findTarget(target, deployments);
  if (!mine) {
    if (target.deploymentId === "") {
      const summary = summarizeDeployment(null, allocations, options);
      return {
        title: "no deployment was needed",
        lines: [],
        outcome: { ok: true, deployment: null, summary },
      };
    }
    return { title: "waiting for Nomad's deployment", lines: [] };
  }
  const summary = summarizeDeployment(mine, allocations, options);
  const lines = summary.instances.map((i) => i.line);
  if (!summary.done) return { title: summary.verdict, lines };
  if (summary.ok) return { title: summary.verdict, lines, outcome: { ok: true, deployment: mine, summary } };
  if (summary.revertedTo === undefined)
    return { title: summary.verdict, lines, outcome: { ok: false, deployment: mine, summary } };
  const toVersion = summary.revertedTo;
  const revert = revertDeployment(mine, deployments);
  if (!revert) return { title: `${summary.verdict}: waiting for the rollback's deployment`, lines };
  const rs = summarizeDeployment(revert, allocations, options);
  const as = `version ${toVersion} (as version ${revert.JobVersion})`;
  const title = rs.done
    ? rs.ok
      ? `rolled back to ${as}: ${rs.verdict}`
      : `rollback to ${as} failed: ${rs.verdict}`
    : `rolling back to ${as}: ${rs.verdict}`;
  const view = { title, lines: rs.instances.map((i) => i.line) };
  if (!rs.done) return view;
  return {
    ...view,
    outcome: {
      ok: false,
      deployment: mine,
      summary,
      revert: { toVersion, deployment: revert, summary: rs },
    },
  };
}

function findTarget(
  target: RolloutTarget,
  deployments: readonly DeploymentWithIndex[],
): DeploymentWithIndex | undefined {
  if (target.deploymentId !== "") return deployments.find((d) => d.ID === target.deploymentId);
  return undefined;
}

/** The deployment of the version Nomad registered to roll back: the newest one of a later version. */
function revertDeployment(
  failed: DeploymentWithIndex,
  deployments: readonly DeploymentWithIndex[],
): DeploymentWithIndex | undefined {
  return deployments
    .filter((d) => d.JobVersion > failed.JobVersion)
    .toSorted((a, b) => (a.CreateIndex ?? 0) - (b.CreateIndex ?? 0) || a.JobVersion - b.JobVersion)
    .at(0);
}

/** The deployment Nomad created for a change, when the evaluation did not name it: matched by JobModifyIndex. */
export function deploymentForChange(
  jobModifyIndex: number,
  deployments: readonly DeploymentWithIndex[],
): DeploymentWithIndex | undefined {
  return deployments.find((d) => d.JobModifyIndex === jobModifyIndex);
}
