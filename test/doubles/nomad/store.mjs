// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the leader's job state (jobs and their versions,
// evaluations, allocations, deployments), with the write paths of nomad/job_endpoint.go (Register with
// EnforceIndex, Revert with EnforcePriorVersion, Scale, Deregister/purge) and the reads of the HTTP API.
// Scheduling lives in scheduler.mjs, deployment watching in deployments.mjs. The whole state is one JSON
// document the server keeps in data_dir (server/np-double-jobs.json) and gossips to followers.
import { randomUUID } from "node:crypto";
import { jobDiff } from "./diff.mjs";
import { canonicalizeJob, jobStub, specChanged, validateJob } from "./jobs.mjs";

export const ENFORCE = "Enforcing job modify index"; // structs.RegisterEnforceIndexErrPrefix
const TRACKED_VERSIONS = 6; // server.job_tracked_versions default
const nowNs = () => Date.now() * 1e6;

/** An error with the HTTP status Nomad answers it with (structs.NewErrRPCCoded, CodedError). */
export class ApiError extends Error {
  constructor(code, msg) {
    super(msg);
    this.code = code;
  }
}

/** structs.Allocation.TerminalStatus: desired stop/evict, or client complete/failed/lost. */
export const terminal = (a) =>
  a.DesiredStatus !== "run" || ["complete", "failed", "lost"].includes(a.ClientStatus);
export const clientTerminal = (a) => ["complete", "failed", "lost"].includes(a.ClientStatus);

export class JobStore {
  /** `fsm` is the agent's replicated state ({index, nodes}); `onChange` persists and wakes blocking queries. */
  constructor(fsm, onChange) {
    this.fsm = fsm;
    this.onChange = onChange;
    this.jobs = new Map();
    this.versions = new Map(); // job id -> versions, newest first
    this.evals = new Map();
    this.allocs = new Map();
    this.deployments = new Map();
    this.scaleEvents = new Map(); // job id -> {group: [events]}
    this.tables = {}; // table -> index of its last write (X-Nomad-Index of list endpoints)
  }

  toJSON() {
    return {
      jobs: [...this.jobs.values()],
      versions: [...this.versions.entries()],
      evals: [...this.evals.values()],
      allocs: [...this.allocs.values()],
      deployments: [...this.deployments.values()],
      scaleEvents: [...this.scaleEvents.entries()],
      tables: this.tables,
    };
  }
  load(s) {
    if (!s) return;
    this.jobs = new Map((s.jobs ?? []).map((j) => [j.ID, j]));
    this.versions = new Map(s.versions ?? []);
    this.evals = new Map((s.evals ?? []).map((e) => [e.ID, e]));
    this.allocs = new Map((s.allocs ?? []).map((a) => [a.ID, a]));
    this.deployments = new Map((s.deployments ?? []).map((d) => [d.ID, d]));
    this.scaleEvents = new Map(s.scaleEvents ?? []);
    this.tables = s.tables ?? {};
  }

  /** Starts a raft-like write: the next index, recorded for the tables it touches. */
  write(...tables) {
    const i = ++this.fsm.index;
    for (const t of tables) this.tables[t] = i;
    return i;
  }
  changed() {
    this.onChange();
  }
  tableIndex(...tables) {
    return Math.max(1, ...tables.map((t) => this.tables[t] ?? 0));
  }

  // ---------------- reads
  jobAllocs(jobId, all = true) {
    return [...this.allocs.values()].filter((a) => a.JobID === jobId && (all || !terminal(a)));
  }
  jobVersion(jobId, version) {
    return (this.versions.get(jobId) ?? []).find((j) => j.Version === version) ?? null;
  }
  latestDeployment(jobId) {
    let best = null;
    for (const d of this.deployments.values())
      if (d.JobID === jobId && (!best || d.CreateIndex > best.CreateIndex)) best = d;
    return best;
  }

  /** structs.JobSummary, computed from the allocations (Nomad keeps it incrementally). */
  summary(job) {
    const s = {};
    for (const tg of job.TaskGroups)
      s[tg.Name] = { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 };
    for (const a of this.jobAllocs(job.ID)) {
      const g = s[a.TaskGroup];
      if (!g) continue;
      const k = {
        pending: "Starting",
        running: "Running",
        complete: "Complete",
        failed: "Failed",
        lost: "Lost",
        unknown: "Unknown",
      }[a.ClientStatus];
      if (a.DesiredStatus !== "run" && (a.ClientStatus === "pending" || a.ClientStatus === "running"))
        g.Complete++;
      else if (k) g[k]++;
    }
    const ev = this.latestEval(job.ID);
    for (const [tg, q] of Object.entries(ev?.QueuedAllocations ?? {})) if (s[tg]) s[tg].Queued = q;
    return {
      JobID: job.ID,
      Namespace: job.Namespace,
      Summary: s,
      Children: { Pending: 0, Running: 0, Dead: 0 },
      CreateIndex: job.CreateIndex,
      ModifyIndex: Math.max(job.ModifyIndex, ...this.jobAllocs(job.ID).map((a) => a.ModifyIndex)),
    };
  }
  latestEval(jobId) {
    let best = null;
    for (const e of this.evals.values())
      if (e.JobID === jobId && (!best || e.CreateIndex > best.CreateIndex)) best = e;
    return best;
  }
  stub(job) {
    return jobStub(job, this.summary(job));
  }

  /** state_store.getJobStatus: running with a live alloc, pending with a live eval, dead when stopped. */
  jobStatus(job) {
    const allocs = this.jobAllocs(job.ID);
    if (allocs.some((a) => !terminal(a))) return "running";
    if ([...this.evals.values()].some((e) => e.JobID === job.ID && ["pending", "blocked"].includes(e.Status)))
      return "pending";
    if (job.Stop) return "dead";
    return allocs.length ? "dead" : "pending";
  }
  refreshJobStatus(jobId) {
    const job = this.jobs.get(jobId);
    if (!job) return;
    const st = this.jobStatus(job);
    if (st !== job.Status) {
      job.Status = st;
      job.ModifyIndex = this.write("jobs");
    }
  }

  // ---------------- writes (nomad/job_endpoint.go)
  /** Job.Register; returns the JobRegisterResponse body. */
  register(req) {
    const apiJob = req.Job;
    if (apiJob.Update?.Canary > 0 || apiJob.TaskGroups?.some((g) => g.Update?.Canary > 0))
      throw new ApiError(501, "np's Nomad test double does not model canary deployments (Update.Canary > 0)");
    const job = canonicalizeJob(apiJob);
    const bad = validateJob(job);
    if (bad) throw new ApiError(500, bad);
    req.Authorize?.(job); // ACLs: submit-job (and volumes) after the admission controllers
    const existing = this.jobs.get(job.ID);
    if (req.EnforceIndex) {
      const jmi = req.JobModifyIndex ?? 0;
      if (existing) {
        if (jmi === 0) throw new ApiError(500, `${ENFORCE} 0: job already exists`);
        if (jmi !== existing.JobModifyIndex)
          throw new ApiError(
            500,
            `${ENFORCE} ${jmi}: job exists with conflicting job modify index: ${existing.JobModifyIndex}`,
          );
      } else if (jmi !== 0) throw new ApiError(500, `${ENFORCE} ${jmi}: job does not exist`);
    }
    if (existing && existing.Type !== job.Type)
      throw new ApiError(500, `cannot update job from type "${existing.Type}" to "${job.Type}"`);
    if (existing && req.PreserveCounts)
      for (const tg of job.TaskGroups) {
        const old = existing.TaskGroups.find((g) => g.Name === tg.Name);
        if (old) tg.Count = old.Count;
      }
    return this.upsertJob(job, existing, "job-register", req.EvalPriority);
  }

  /** state_store.upsertJobImpl: a spec change makes a new version; otherwise the version stays. */
  upsertJob(job, existing, trigger, evalPriority) {
    const index = this.write("jobs", "job_version");
    job.SubmitTime = nowNs();
    if (existing) {
      job.CreateIndex = existing.CreateIndex;
      if (specChanged(existing, job) || existing.Stop) {
        job.Version = existing.Version + 1;
        job.JobModifyIndex = index;
        job.Stable = false;
      } else {
        job.Version = existing.Version;
        job.JobModifyIndex = existing.JobModifyIndex;
        job.Stable = existing.Stable;
      }
    } else {
      job.CreateIndex = index;
      job.JobModifyIndex = index;
      job.Version = 0;
    }
    job.ModifyIndex = index;
    job.Status = "pending";
    this.jobs.set(job.ID, job);
    const list = (this.versions.get(job.ID) ?? []).filter((v) => v.Version !== job.Version);
    this.versions.set(job.ID, [structuredClone(job), ...list].slice(0, TRACKED_VERSIONS));
    const ev = this.newEval(job, trigger, { Priority: evalPriority || job.Priority });
    this.changed();
    return {
      EvalID: ev.ID,
      EvalCreateIndex: ev.CreateIndex,
      JobModifyIndex: job.JobModifyIndex,
      Warnings: "",
      Index: ev.CreateIndex,
    };
  }

  newEval(job, trigger, extra = {}) {
    const index = this.write("evals");
    const t = nowNs();
    const ev = {
      ID: randomUUID(),
      Namespace: job.Namespace,
      Priority: job.Priority,
      Type: job.Type,
      TriggeredBy: trigger,
      JobID: job.ID,
      JobModifyIndex: job.JobModifyIndex,
      NodeID: "",
      NodeModifyIndex: 0,
      DeploymentID: "",
      Status: "pending",
      StatusDescription: "",
      Wait: 0,
      WaitUntil: "0001-01-01T00:00:00Z",
      NextEval: "",
      PreviousEval: "",
      BlockedEval: "",
      RelatedEvals: null,
      FailedTGAllocs: null,
      ClassEligibility: null,
      EscapedComputedClass: false,
      QuotaLimitReached: "",
      AnnotatePlan: false,
      QueuedAllocations: null,
      LeaderACL: "",
      SnapshotIndex: 0,
      CreateIndex: index,
      ModifyIndex: index,
      CreateTime: t,
      ModifyTime: t,
      ...extra,
    };
    this.evals.set(ev.ID, ev);
    this.pendingEvals = [...(this.pendingEvals ?? []), ev.ID];
    return ev;
  }

  /** Job.Revert. */
  revert(jobId, req) {
    const cur = this.jobs.get(jobId);
    if (!cur) throw new ApiError(500, `job "${jobId}" not found`);
    const version = req.JobVersion ?? 0;
    if (version === cur.Version) throw new ApiError(500, "can't revert to current version");
    const old = this.jobVersion(jobId, version);
    if (!old)
      throw new ApiError(
        500,
        `job "${jobId}" in namespace "${cur.Namespace}" at version ${version} not found`,
      );
    if (req.EnforcePriorVersion != null && cur.Version !== req.EnforcePriorVersion)
      throw new ApiError(
        500,
        `Current job has version ${cur.Version}; enforcing version ${req.EnforcePriorVersion}`,
      );
    const job = structuredClone(old);
    job.VersionTag = null;
    job.Stable = false;
    job.Stop = false;
    return this.upsertJob(job, cur, "job-register");
  }

  /** Job.Scale (count only). */
  scale(jobId, req) {
    const job = this.jobs.get(jobId);
    if (!job) throw new ApiError(404, `job "${jobId}" not found`);
    const groupName = req.Target?.Group ?? "";
    const tg = job.TaskGroups.find((g) => g.Name === groupName);
    if (!tg) throw new ApiError(400, `task group "${groupName}" specified for scaling does not exist in job`);
    if (req.Count == null)
      throw new ApiError(501, "np's Nomad test double models only count-based scaling requests");
    if (tg.Scaling) {
      if (req.Count < tg.Scaling.Min)
        throw new ApiError(
          400,
          `group count was less than scaling policy minimum: ${req.Count} < ${tg.Scaling.Min}`,
        );
      if (tg.Scaling.Max < req.Count)
        throw new ApiError(
          400,
          `group count was greater than scaling policy maximum: ${req.Count} > ${tg.Scaling.Max}`,
        );
    }
    const d = this.latestDeployment(jobId);
    if (
      d &&
      ["running", "paused", "pending", "blocked", "unblocking", "initializing"].includes(d.Status) &&
      d.JobCreateIndex === job.CreateIndex
    )
      throw new ApiError(400, "job scaling blocked due to active deployment");
    if (req.JobModifyIndex > 0 && req.JobModifyIndex !== job.JobModifyIndex)
      throw new ApiError(
        500,
        `${ENFORCE} ${req.JobModifyIndex}: job exists with conflicting job modify index: ${job.JobModifyIndex}`,
      );
    const next = structuredClone(job);
    const prev = tg.Count;
    next.TaskGroups.find((g) => g.Name === groupName).Count = req.Count;
    const out = this.upsertJob(next, job, "job-scaling");
    const events = this.scaleEvents.get(jobId) ?? {};
    events[groupName] = [
      {
        Time: nowNs(),
        Count: req.Count,
        PreviousCount: prev,
        Message: req.Message ?? "",
        Error: req.Error ?? false,
        Meta: req.Meta ?? null,
        EvalID: out.EvalID,
        CreateIndex: out.Index,
      },
      ...(events[groupName] ?? []),
    ].slice(0, 20);
    this.scaleEvents.set(jobId, events);
    return out;
  }

  /** Job.Deregister: stop (or purge) the job; an unknown job is not an error. */
  deregister(jobId, purge) {
    const job = this.jobs.get(jobId);
    const empty = {
      EvalID: "",
      EvalCreateIndex: 0,
      JobModifyIndex: 0,
      VolumeEvalID: "",
      VolumeEvalIndex: 0,
      Index: 0,
    };
    if (!job) return empty;
    const index = this.write("jobs");
    if (purge) {
      this.jobs.delete(jobId);
      this.versions.delete(jobId);
      this.scaleEvents.delete(jobId);
    } else {
      job.Stop = true;
      job.ModifyIndex = index;
      job.JobModifyIndex = index;
      job.SubmitTime = nowNs();
      const list = this.versions.get(jobId) ?? [];
      if (list[0]) list[0] = structuredClone(job);
    }
    const ev = this.newEval(job, "job-deregister", { JobModifyIndex: index, Type: "service" });
    this.changed();
    return { ...empty, EvalID: ev.ID, EvalCreateIndex: index, JobModifyIndex: index, Index: index };
  }

  /** Job.Plan's diff between the stored and the submitted job. */
  planDiff(existing, job, desired) {
    return jobDiff(existing, job, true, desired);
  }

  // ---------------- client updates (Node.UpdateAlloc)
  /** Applies a client's alloc update: status, task states, deployment health. Returns the allocs changed. */
  clientUpdate(updates) {
    const changed = [];
    for (const u of updates) {
      const a = this.allocs.get(u.ID);
      if (!a) continue;
      const index = this.write("allocs");
      a.ClientStatus = u.ClientStatus;
      a.ClientDescription = u.ClientDescription;
      a.TaskStates = u.TaskStates;
      if (u.NetworkStatus) a.NetworkStatus = u.NetworkStatus;
      if (u.DeploymentStatus && a.DeploymentID) {
        const prev = a.DeploymentStatus?.Healthy;
        a.DeploymentStatus = {
          ...u.DeploymentStatus,
          Canary: false,
          ModifyIndex: prev === u.DeploymentStatus.Healthy ? a.DeploymentStatus.ModifyIndex : index,
        };
      }
      a.ModifyIndex = index;
      a.ModifyTime = nowNs();
      changed.push(a);
    }
    if (changed.length) this.changed();
    return changed;
  }
}
