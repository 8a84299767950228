// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the service scheduler, a reduced scheduler/reconcile.go:
// per group it keeps current allocs, updates in place when only non-task fields changed, replaces allocs of an
// older version (destructive updates) at most Update.MaxParallel at a time while their deployment is running,
// places missing allocs, stops extra ones (highest index first), reschedules failed allocs by the group's
// ReschedulePolicy, creates and cancels deployments, and records FailedTGAllocs / a blocked eval when nothing fits.
import { randomUUID } from "node:crypto";
import { groupDestructive } from "./jobs.mjs";
import { newMetric, placeOne } from "./placement.mjs";
import { clientTerminal, terminal } from "./store.mjs";

// scheduler/reconcile_util.go + generic_sched.go texts
export const DESC = {
  notNeeded: "alloc not needed due to job update",
  updating: "alloc is being updated due to job update",
  lost: "alloc is lost since its node is down",
  rescheduled: "alloc was rescheduled because it failed",
};
const BLOCKED_DESC = "created to place remaining allocations"; // blockedEvalFailedPlacements
const ACTIVE = ["running", "paused", "pending", "initializing", "blocked", "unblocking"];
const nowNs = () => Date.now() * 1e6;
const rfc = (ms) => new Date(ms).toISOString();

const allocIndex = (a) => Number(/\[(\d+)\]$/.exec(a.Name)?.[1] ?? 0);
const emptyUpdates = () => ({
  Ignore: 0,
  Place: 0,
  Migrate: 0,
  Stop: 0,
  InPlaceUpdate: 0,
  DestructiveUpdate: 0,
  Canary: 0,
  Preemptions: 0,
});

/** The delay before a failed alloc may be rescheduled (structs.ReschedulePolicy / Allocation.NextDelay). */
function rescheduleDelayMs(alloc, policy) {
  const n = alloc.RescheduleTracker?.Events?.length ?? 0;
  const base = policy.Delay / 1e6;
  let d = base;
  if (policy.DelayFunction === "exponential") d = base * 2 ** n;
  else if (policy.DelayFunction === "fibonacci") {
    let [x, y] = [base, base];
    for (let i = 1; i < n; i++) [x, y] = [y, x + y];
    d = n ? y : base;
  }
  return policy.MaxDelay > 0 ? Math.min(d, policy.MaxDelay / 1e6) : d;
}

/** structs.Allocation.RescheduleEligible. */
export function rescheduleEligible(alloc, policy, nowMs = Date.now()) {
  if (!policy) return false;
  if (policy.Unlimited) return true;
  if (policy.Attempts === 0) return false;
  const since = nowMs - policy.Interval / 1e6;
  const recent = (alloc.RescheduleTracker?.Events ?? []).filter(
    (e) => e.RescheduleTime / 1e6 >= since,
  ).length;
  return recent < policy.Attempts;
}

/**
 * Reconciles `job` (the current version, or null when purged/stopped) against the store: returns the plan
 * {stops, places, inplace, desired, failed, queued, deployment} without changing anything.
 */
export function reconcile(store, job, jobId, nodes) {
  const live = store.jobAllocs(jobId).filter((a) => a.DesiredStatus === "run");
  const out = {
    stops: [],
    places: [],
    inplace: [],
    desired: {},
    failed: {},
    queued: {},
    newDeployment: null,
    followups: [],
  };
  const stopped = !job || job.Stop;
  if (stopped) {
    for (const a of live) if (!clientTerminal(a)) out.stops.push({ alloc: a, desc: DESC.notNeeded });
    for (const tg of job?.TaskGroups ?? [])
      out.desired[tg.Name] = {
        ...emptyUpdates(),
        Stop: live.filter((a) => a.TaskGroup === tg.Name && !clientTerminal(a)).length,
      };
    return out;
  }
  const latest = store.latestDeployment(job.ID);
  const current =
    latest && latest.JobVersion === job.Version && latest.JobCreateIndex === job.CreateIndex ? latest : null;
  for (const tg of job.TaskGroups) {
    const u = emptyUpdates();
    out.desired[tg.Name] = u;
    const mine = live.filter((a) => a.TaskGroup === tg.Name);
    const failedDeployment = (a) => store.deployments.get(a.DeploymentID)?.Status === "failed";
    // failed allocs: reschedule (now or later) by policy, unless their deployment failed
    const running = [];
    const reschedule = [];
    for (const a of mine) {
      if (a.ClientStatus === "lost" || a.ClientStatus === "complete") continue;
      const forced = a.DesiredTransition?.Reschedule === true;
      if (a.ClientStatus === "failed" || forced) {
        if (a.NextAllocation || failedDeployment(a) || !rescheduleEligible(a, tg.ReschedulePolicy)) continue;
        const at = a.ModifyTime / 1e6 + (forced ? 0 : rescheduleDelayMs(a, tg.ReschedulePolicy));
        if (at <= Date.now()) reschedule.push(a);
        else {
          out.followups.push({ alloc: a, at });
          if (a.ClientStatus !== "failed") running.push(a);
        }
        continue;
      }
      running.push(a);
    }
    const oldVersion = running.filter((a) => a._v !== job.Version);
    const destructive = oldVersion.filter((a) =>
      groupDestructive(
        store.jobVersion(job.ID, a._v)?.TaskGroups.find((g) => g.Name === tg.Name),
        tg,
      ),
    );
    const inplace = oldVersion.filter((a) => !destructive.includes(a));
    out.inplace.push(...inplace);
    u.InPlaceUpdate = inplace.length;
    const keep = running.filter((a) => !destructive.includes(a));
    // too many: stop old-version ones first, then the highest indexes
    const total = keep.length + destructive.length + reschedule.length;
    let extra = Math.max(0, total - tg.Count);
    const stopOrder = [...reschedule, ...destructive, ...keep].sort((a, b) => {
      const rank = (x) => (reschedule.includes(x) ? 0 : destructive.includes(x) ? 1 : 2);
      return rank(a) - rank(b) || allocIndex(b) - allocIndex(a);
    });
    const stopSet = new Set();
    for (const a of stopOrder) {
      if (!extra) break;
      stopSet.add(a);
      out.stops.push({ alloc: a, desc: DESC.notNeeded });
      extra--;
    }
    u.Stop = stopSet.size;
    const usedIdx = new Set([...keep, ...destructive].filter((a) => !stopSet.has(a)).map(allocIndex));
    for (const a of reschedule.filter((x) => !stopSet.has(x))) {
      out.stops.push({ alloc: a, desc: DESC.rescheduled });
      out.places.push({ tg, name: a.Name, previous: a, reschedule: true });
      usedIdx.add(allocIndex(a));
      u.Place++;
    }
    // rolling destructive updates, bounded by MaxParallel while the deployment runs
    let limit = Number.POSITIVE_INFINITY;
    if (tg.Update) {
      if (current && !ACTIVE.includes(current.Status))
        limit = current.Status === "failed" ? 0 : Number.POSITIVE_INFINITY;
      else {
        const inFlight = current
          ? store
              .jobAllocs(job.ID)
              .filter(
                (a) =>
                  a.DeploymentID === current.ID &&
                  a.TaskGroup === tg.Name &&
                  !terminal(a) &&
                  a.DeploymentStatus?.Healthy !== true,
              ).length
          : 0;
        limit = Math.max(0, tg.Update.MaxParallel - inFlight);
      }
    }
    const todo = destructive.filter((a) => !stopSet.has(a)).sort((a, b) => allocIndex(a) - allocIndex(b));
    for (const a of todo.slice(0, limit)) {
      out.stops.push({ alloc: a, desc: DESC.updating });
      out.places.push({ tg, name: a.Name, previous: a });
      u.DestructiveUpdate++;
    }
    const keptCurrent = keep.filter((a) => !inplace.includes(a) && !stopSet.has(a)).length;
    u.Ignore = keptCurrent + (todo.length - Math.min(limit, todo.length));
    // missing allocs
    let missing = tg.Count - (total - stopSet.size);
    for (let i = 0; missing > 0; i++) {
      if (usedIdx.has(i)) continue;
      usedIdx.add(i);
      out.places.push({ tg, name: `${job.ID}.${tg.Name}[${i}]` });
      u.Place++;
      missing--;
    }
    if (tg.Update && !current && (u.Place > 0 || u.DestructiveUpdate > 0) && !out.newDeployment)
      out.newDeployment = true;
  }
  // placement (dry): which places fit, with metrics for those that do not
  const planned = new Map(); // node id -> extra allocs planned
  const nodeAllocs = (id) => [
    ...[...store.allocs.values()].filter(
      (a) => a.NodeID === id && !terminal(a) && !out.stops.some((s) => s.alloc === a),
    ),
    ...(planned.get(id) ?? []),
  ];
  for (const p of out.places) {
    const metric = newMetric(job.NodePool);
    const t0 = process.hrtime.bigint();
    const fit = placeOne(job, p.tg, nodes, nodeAllocs, metric);
    metric.AllocationTime = Number(process.hrtime.bigint() - t0);
    p.metric = metric;
    if (!fit) {
      const f = out.failed[p.tg.Name];
      if (f) f.CoalescedFailures++;
      else out.failed[p.tg.Name] = metric;
      out.queued[p.tg.Name] = (out.queued[p.tg.Name] ?? 0) + 1;
      continue;
    }
    p.fit = fit;
    const pseudo = allocShell(job, p, "", "");
    planned.set(fit.node.ID, [...(planned.get(fit.node.ID) ?? []), pseudo]);
  }
  for (const tg of job.TaskGroups) out.queued[tg.Name] = out.queued[tg.Name] ?? 0;
  return out;
}

/** A structs.Allocation for a placement (its Job is attached when read, from the version in `_v`). */
function allocShell(job, p, evalId, deploymentId) {
  const { tg, fit } = p;
  const ip = fit.node.info.Address;
  const tasks = Object.fromEntries(
    tg.Tasks.map((t) => [
      t.Name,
      {
        Cpu: { CpuShares: t.Resources.CPU, ReservedCores: null },
        Memory: { MemoryMB: t.Resources.MemoryMB, MemoryMaxMB: t.Resources.MemoryMaxMB },
        Networks: null,
        Devices: null,
      },
    ]),
  );
  const dyn = fit.ports.filter((x) =>
    (tg.Networks ?? []).some((n) => (n.DynamicPorts ?? []).some((d) => d.Label === x.Label)),
  );
  const stat = fit.ports.filter((x) => !dyn.includes(x));
  const net = {
    Mode: "host",
    Device: "",
    CIDR: "",
    IP: ip,
    Hostname: "",
    MBits: 0,
    DNS: null,
    ReservedPorts: stat.length
      ? stat.map((x) => ({
          Label: x.Label,
          Value: x.Value,
          To: x.To,
          HostNetwork: "default",
          IgnoreCollision: false,
        }))
      : null,
    DynamicPorts: dyn.length
      ? dyn.map((x) => ({
          Label: x.Label,
          Value: x.Value,
          To: x.To,
          HostNetwork: "default",
          IgnoreCollision: false,
        }))
      : null,
    CNI: null,
  };
  const t = nowNs();
  const cpu = tg.Tasks.reduce((s, x) => s + x.Resources.CPU, 0);
  const mem = tg.Tasks.reduce((s, x) => s + x.Resources.MemoryMB, 0);
  const disk = tg.EphemeralDisk?.SizeMB ?? 0;
  return {
    ID: randomUUID(),
    Namespace: job.Namespace,
    EvalID: evalId,
    Name: p.name,
    NodeID: fit.node.ID,
    NodeName: fit.node.info.Name,
    JobID: job.ID,
    Job: null,
    TaskGroup: tg.Name,
    Resources: {
      CPU: cpu,
      Cores: 0,
      MemoryMB: mem,
      MemoryMaxMB: 0,
      DiskMB: disk,
      IOPS: 0,
      Networks: fit.ports.length ? [net] : null,
      Devices: null,
      NUMA: null,
      SecretsMB: 0,
    },
    SharedResources: {
      CPU: 0,
      Cores: 0,
      MemoryMB: 0,
      MemoryMaxMB: 0,
      DiskMB: disk,
      IOPS: 0,
      Networks: fit.ports.length ? [net] : null,
      Devices: null,
      NUMA: null,
      SecretsMB: 0,
    },
    TaskResources: Object.fromEntries(
      tg.Tasks.map((x) => [
        x.Name,
        {
          CPU: x.Resources.CPU,
          Cores: 0,
          MemoryMB: x.Resources.MemoryMB,
          MemoryMaxMB: 0,
          DiskMB: 0,
          IOPS: 0,
          Networks: null,
          Devices: null,
          NUMA: null,
          SecretsMB: 0,
        },
      ]),
    ),
    AllocatedResources: {
      Tasks: tasks,
      TaskLifecycles: Object.fromEntries(tg.Tasks.map((x) => [x.Name, x.Lifecycle])),
      Shared: {
        Networks: fit.ports.length ? [net] : null,
        DiskMB: disk,
        Ports: fit.ports.length ? fit.ports : null,
      },
    },
    Metrics: p.metric,
    DesiredStatus: "run",
    DesiredDescription: "",
    DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null },
    ClientStatus: "pending",
    ClientDescription: "",
    TaskStates: null,
    AllocStates: null,
    PreviousAllocation: p.previous?.ID ?? "",
    NextAllocation: "",
    DeploymentID: deploymentId,
    DeploymentStatus: null,
    RescheduleTracker: p.reschedule
      ? {
          Events: [
            ...(p.previous.RescheduleTracker?.Events ?? []),
            { RescheduleTime: t, PrevAllocID: p.previous.ID, PrevNodeID: p.previous.NodeID, Delay: 0 },
          ],
          LastReschedule: "ok",
        }
      : null,
    NetworkStatus: null,
    FollowupEvalID: "",
    PreemptedAllocations: null,
    PreemptedByAllocation: "",
    SignedIdentities: null,
    CreateIndex: 0,
    ModifyIndex: 0,
    AllocModifyIndex: 0,
    CreateTime: t,
    ModifyTime: t,
    _v: job.Version,
  };
}

/** A structs.Deployment for the job's current version. */
function newDeployment(_store, job, index) {
  const t = nowNs();
  const groups = {};
  for (const tg of job.TaskGroups)
    if (tg.Update)
      groups[tg.Name] = {
        AutoRevert: tg.Update.AutoRevert,
        AutoPromote: tg.Update.AutoPromote,
        ProgressDeadline: tg.Update.ProgressDeadline,
        RequireProgressBy: "0001-01-01T00:00:00Z",
        Promoted: false,
        PlacedCanaries: null,
        DesiredCanaries: 0,
        DesiredTotal: tg.Count,
        PlacedAllocs: 0,
        HealthyAllocs: 0,
        UnhealthyAllocs: 0,
      };
  return {
    ID: randomUUID(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.JobModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: groups,
    Status: "running",
    StatusDescription: "Deployment is running",
    EvalPriority: job.Priority,
    CreateIndex: index,
    ModifyIndex: index,
    CreateTime: t,
    ModifyTime: t,
  };
}

/** Cancels the job's active deployments other than `keep` (deploymentwatcher / reconciler cancelUnneededDeployments). */
function cancelDeployments(store, job, keepId, desc) {
  for (const d of store.deployments.values()) {
    if (d.JobID !== job.ID || d.ID === keepId || !ACTIVE.includes(d.Status)) continue;
    d.Status = "cancelled";
    d.StatusDescription = desc;
    d.ModifyIndex = store.write("deployment");
    d.ModifyTime = nowNs();
  }
}

/** Processes one evaluation on the leader: reconciles, applies the plan, completes (or blocks) the eval. */
export function processEval(store, ev, nodes) {
  const job = store.jobs.get(ev.JobID) ?? null;
  const plan = reconcile(store, job, ev.JobID, nodes);
  const index = store.write("allocs", "evals");
  const t = nowNs();
  if (!job || job.Stop)
    cancelDeployments(store, job ?? { ID: ev.JobID }, "", "Cancelled because job is stopped");
  let deployment = store.latestDeployment(ev.JobID);
  // a deployment is created only when something of the new version is actually placed
  if (job && !job.Stop && plan.newDeployment && plan.places.some((x) => x.fit)) {
    cancelDeployments(store, job, "", "Cancelled due to newer version of job");
    deployment = newDeployment(store, job, index);
    store.deployments.set(deployment.ID, deployment);
    store.tables.deployment = index;
  } else if (
    job &&
    deployment &&
    (deployment.JobVersion !== job.Version || deployment.JobCreateIndex !== job.CreateIndex)
  )
    cancelDeployments(store, job, "", "Cancelled due to newer version of job");
  const dep =
    deployment && deployment.JobVersion === job?.Version && ACTIVE.includes(deployment.Status)
      ? deployment
      : null;
  for (const s of plan.stops) {
    s.alloc.DesiredStatus = "stop";
    s.alloc.DesiredDescription = s.desc;
    s.alloc.ModifyIndex = index;
    s.alloc.AllocModifyIndex = index;
    s.alloc.ModifyTime = t;
  }
  for (const a of plan.inplace) {
    a._v = job.Version;
    // an in-place update joins the new deployment, keeping its health (the double's client does not re-track it);
    // Nomad's client re-tracks it for the new deployment, so the health counts from now (else the new
    // deployment's progress deadline would start from the old health timestamp, already past)
    const tg = job.TaskGroups.find((g) => g.Name === a.TaskGroup);
    if (dep && tg?.Update && a.DeploymentID !== dep.ID) {
      a.DeploymentID = dep.ID;
      if (a.DeploymentStatus)
        a.DeploymentStatus = {
          ...a.DeploymentStatus,
          Timestamp: new Date(t / 1e6).toISOString(),
          ModifyIndex: index,
        };
      dep.TaskGroups[tg.Name].PlacedAllocs++;
    }
    a.ModifyIndex = index;
    a.AllocModifyIndex = index;
    a.ModifyTime = t;
  }
  for (const p of plan.places) {
    if (!p.fit) continue;
    const a = allocShell(job, p, ev.ID, dep && p.tg.Update ? dep.ID : "");
    a.CreateIndex = a.ModifyIndex = a.AllocModifyIndex = index;
    store.allocs.set(a.ID, a);
    if (p.previous) {
      p.previous.NextAllocation = a.ID;
      p.previous.ModifyIndex = index;
    }
    if (dep && p.tg.Update) {
      const st = dep.TaskGroups[p.tg.Name];
      st.PlacedAllocs++;
      if (st.RequireProgressBy.startsWith("0001") && st.ProgressDeadline > 0)
        st.RequireProgressBy = rfc(Date.now() + st.ProgressDeadline / 1e6);
      dep.ModifyIndex = index;
      store.tables.deployment = index;
    }
  }
  for (const f of plan.followups) {
    if (f.alloc.FollowupEvalID && store.evals.get(f.alloc.FollowupEvalID)?.Status === "pending") continue;
    const wait = store.newEval(job, "alloc-failure", {
      Status: "pending",
      WaitUntil: rfc(f.at),
      PreviousEval: ev.ID,
      _at: f.at,
    });
    f.alloc.FollowupEvalID = wait.ID;
    f.alloc.ModifyIndex = index;
  }
  ev.Status = "complete";
  ev.QueuedAllocations = plan.queued;
  ev.SnapshotIndex = index - 1;
  ev.ModifyIndex = index;
  ev.ModifyTime = t;
  if (dep) ev.DeploymentID = dep.ID;
  if (Object.keys(plan.failed).length) {
    ev.FailedTGAllocs = plan.failed;
    if (ev.TriggeredBy === "queued-allocs") ev.Status = "blocked";
    else {
      const blocked = store.newEval(job, "queued-allocs", {
        Status: "blocked",
        StatusDescription: BLOCKED_DESC,
        PreviousEval: ev.ID,
        FailedTGAllocs: plan.failed,
        ClassEligibility: {},
        _queued: true,
      });
      store.pendingEvals = (store.pendingEvals ?? []).filter((id) => id !== blocked.ID);
      ev.BlockedEval = blocked.ID;
    }
  } else if (ev.Status === "complete") ev.FailedTGAllocs = null;
  store.refreshJobStatus(ev.JobID);
  return plan;
}
