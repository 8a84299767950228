// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the leader's deployment watcher, after
// nomad/deploymentwatcher/deployment_watcher.go: counts placed/healthy/unhealthy allocs per group, fails early on
// an unhealthy alloc when the group has no progress deadline or no reschedule attempts left (shouldFailEarly),
// otherwise lets it be replaced; fails at RequireProgressBy ("Failed due to progress deadline"); auto-reverts to
// the latest stable version (handleRollbackValidity texts); marks the deployment successful and the job version
// stable when every group has DesiredTotal healthy allocs; creates "deployment-watcher" evals to roll on.

import { specChanged } from "./jobs.mjs";
import { rescheduleEligible } from "./scheduler.mjs";
import { terminal } from "./store.mjs";

// nomad/structs/structs.go DeploymentStatusDescription*
export const DEPLOY_TEXT = {
  running: "Deployment is running",
  successful: "Deployment completed successfully",
  failedAllocs: "Failed due to unhealthy allocations",
  deadline: "Failed due to progress deadline",
  newer: "Cancelled due to newer version of job",
  stopped: "Cancelled because job is stopped",
};
export const rollbackText = (desc, v) => `${desc} - rolling back to job version ${v}`;
export const rollbackNoopText = (desc, v) =>
  `${desc} - not rolling back to stable job version ${v} as current job has same specification`;
export const noRollbackTargetText = (desc) => `${desc} - no stable job version to auto revert to`;

const nowNs = () => Date.now() * 1e6;

/** One pass over the active deployments; returns true when it changed something. */
export function watchDeployments(store) {
  let changed = false;
  for (const d of [...store.deployments.values()]) {
    if (d.Status !== "running") continue;
    const job = store.jobVersion(d.JobID, d.JobVersion);
    if (!job) continue;
    const allocs = store.jobAllocs(d.JobID).filter((a) => a.DeploymentID === d.ID);
    let fail = null;
    let rollback = false;
    let createEval = false;
    let dirty = false;
    for (const [name, st] of Object.entries(d.TaskGroups)) {
      const mine = allocs.filter((a) => a.TaskGroup === name);
      const healthy = mine.filter((a) => a.DeploymentStatus?.Healthy === true).length;
      const unhealthy = mine.filter((a) => a.DeploymentStatus?.Healthy === false).length;
      if (
        st.PlacedAllocs !== mine.length ||
        st.HealthyAllocs !== healthy ||
        st.UnhealthyAllocs !== unhealthy
      ) {
        if (healthy > st.HealthyAllocs) {
          createEval = true;
          // a healthy alloc pushes the progress deadline out (Deployment.RequireProgressBy)
          if (st.ProgressDeadline > 0) {
            const last = Math.max(
              ...mine
                .filter((a) => a.DeploymentStatus?.Healthy)
                .map((a) => Date.parse(a.DeploymentStatus.Timestamp)),
            );
            st.RequireProgressBy = new Date(last + st.ProgressDeadline / 1e6).toISOString();
          }
        }
        Object.assign(st, { PlacedAllocs: mine.length, HealthyAllocs: healthy, UnhealthyAllocs: unhealthy });
        dirty = true;
      }
      const tg = job.TaskGroups.find((g) => g.Name === name);
      for (const a of mine) {
        if (a.DeploymentStatus?.Healthy !== false || terminal(a) || a.DesiredTransition?.Reschedule) continue;
        const early = st.ProgressDeadline === 0 || !rescheduleEligible(a, tg?.ReschedulePolicy);
        if (early) {
          fail = DEPLOY_TEXT.failedAllocs;
          if (st.AutoRevert) rollback = true;
        } else {
          // allowReplacements: the reconciler replaces it now
          a.DesiredTransition = { ...a.DesiredTransition, Reschedule: true };
          a.ModifyIndex = store.write("allocs");
          createEval = true;
        }
      }
    }
    if (!fail) {
      const due = Object.entries(d.TaskGroups).filter(
        ([, st]) =>
          st.HealthyAllocs < st.DesiredTotal &&
          !st.RequireProgressBy.startsWith("0001") &&
          Date.parse(st.RequireProgressBy) < Date.now(),
      );
      if (due.length) {
        fail = DEPLOY_TEXT.deadline;
        // shouldFail: roll back when a failing group has AutoRevert
        rollback = Object.entries(d.TaskGroups).some(
          ([, st]) => st.HealthyAllocs < st.DesiredTotal && st.AutoRevert,
        );
      }
    }
    const current = store.jobs.get(d.JobID);
    if (fail) {
      let desc = fail;
      let target = null;
      if (rollback) {
        const stable = (store.versions.get(d.JobID) ?? []).find((v) => v.Stable);
        if (!stable) desc = noRollbackTargetText(desc);
        else if (current && specChanged(current, stable)) {
          desc = rollbackText(desc, stable.Version);
          target = stable;
        } else desc = rollbackNoopText(desc, stable.Version);
      }
      d.Status = "failed";
      d.StatusDescription = desc;
      d.ModifyIndex = store.write("deployment");
      d.ModifyTime = nowNs();
      if (target) {
        const job2 = structuredClone(target);
        Object.assign(job2, { Stable: false, VersionTag: null, Stop: false });
        store.upsertJob(job2, current, "deployment-watcher");
      } else if (current) store.newEval(current, "deployment-watcher", { DeploymentID: d.ID });
      changed = true;
      continue;
    }
    const done = Object.values(d.TaskGroups).every((st) => st.HealthyAllocs >= st.DesiredTotal);
    const oldLeft = Object.keys(d.TaskGroups).some((name) =>
      store.jobAllocs(d.JobID).some((a) => a.TaskGroup === name && !terminal(a) && a._v !== d.JobVersion),
    );
    if (done && !oldLeft) {
      d.Status = "successful";
      d.StatusDescription = DEPLOY_TEXT.successful;
      d.ModifyIndex = store.write("deployment", "jobs", "job_version");
      d.ModifyTime = nowNs();
      // the deployment's job version becomes stable (state_store.updateJobStabilityImpl)
      const v = store.jobVersion(d.JobID, d.JobVersion);
      if (v) v.Stable = true;
      if (current && current.Version === d.JobVersion) {
        current.Stable = true;
        current.ModifyIndex = d.ModifyIndex;
      }
      changed = true;
      continue;
    }
    if (dirty) {
      d.ModifyIndex = store.write("deployment");
      d.ModifyTime = nowNs();
      changed = true;
    }
    if (createEval && current && current.Version === d.JobVersion) {
      store.newEval(current, "deployment-watcher", { DeploymentID: d.ID });
      changed = true;
    }
  }
  return changed;
}
