// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the server-side HTTP API for jobs, evaluations,
// allocations and deployments, after command/agent/job_endpoint.go, eval_endpoint.go, alloc_endpoint.go,
// deployment_endpoint.go and node_endpoint.go: same paths, methods, request checks, plain-text errors and
// blocking queries (?index=&wait= against the index of the tables each endpoint reads, X-Nomad-Index).
import { canonicalizeJob, specChanged, validateJob } from "./jobs.mjs";
import { reconcile } from "./scheduler.mjs";
import { ApiError, terminal } from "./store.mjs";

const json = (body, headers = {}, status = 200) => ({ status, headers, body, json: true });
const INVALID_METHOD = "Invalid method";

/** Whether a path is one of the endpoints this module answers. */
export const isJobsPath = (p) =>
  /^\/v1\/(jobs|allocations|evaluations|deployments)$/.test(p) ||
  /^\/v1\/(job|allocation|evaluation|deployment)\/./.test(p) ||
  /^\/v1\/node\/[^/]+\/allocations$/.test(p);

/** Nomad's JSON body decoding (command/agent/http.go decodeBody): case-insensitive keys at the top level. */
export function decodeBody(req) {
  if (!req.body) throw new ApiError(400, "Request body is empty");
  let v;
  try {
    v = JSON.parse(req.body);
  } catch (e) {
    throw new ApiError(400, e.message);
  }
  const out = {};
  for (const [k, x] of Object.entries(v ?? {})) out[k.toLowerCase()] = x;
  return out;
}

/** Strips the double's internal fields and attaches the job version an alloc runs (Allocation.Job). */
export function allocOut(store, a, withJob = true) {
  const { _v, ...rest } = a;
  const job = store.jobVersion(a.JobID, _v) ?? store.jobs.get(a.JobID) ?? null;
  return { ...rest, Job: withJob ? job : undefined, JobVersion: undefined };
}
/** structs.Allocation.Stub: the AllocListStub. */
export function allocStub(store, a) {
  const job = store.jobVersion(a.JobID, a._v) ?? store.jobs.get(a.JobID);
  return {
    ID: a.ID,
    EvalID: a.EvalID,
    Name: a.Name,
    Namespace: a.Namespace,
    NodeID: a.NodeID,
    NodeName: a.NodeName,
    JobID: a.JobID,
    JobType: job?.Type ?? "service",
    JobVersion: a._v,
    TaskGroup: a.TaskGroup,
    AllocatedResources: null,
    DesiredStatus: a.DesiredStatus,
    DesiredDescription: a.DesiredDescription,
    ClientStatus: a.ClientStatus,
    ClientDescription: a.ClientDescription,
    DesiredTransition: a.DesiredTransition,
    TaskStates: a.TaskStates,
    DeploymentStatus: a.DeploymentStatus,
    FollowupEvalID: a.FollowupEvalID,
    NextAllocation: a.NextAllocation,
    RescheduleTracker: a.RescheduleTracker,
    PreemptedAllocations: a.PreemptedAllocations,
    PreemptedByAllocation: a.PreemptedByAllocation,
    CreateIndex: a.CreateIndex,
    ModifyIndex: a.ModifyIndex,
    CreateTime: a.CreateTime,
    ModifyTime: a.ModifyTime,
  };
}
const evalOut = (e) => {
  const { _at, _queued, ...rest } = e;
  return rest;
};

/** Answers one jobs/allocs/evals/deployments API request on the server that owns the state (the leader). */
export async function jobsRoute(agent, req) {
  const store = agent.store;
  const { method } = req;
  const p = req.path;
  const q = req.query;
  const read = async (tables, fn) => {
    await agent.block(req, () => store.tableIndex(...tables));
    const meta = { ...agent.queryMeta(), "X-Nomad-Index": String(store.tableIndex(...tables)) };
    return fn(meta);
  };
  const write = (out) => {
    agent.kick();
    return json(
      { ...out, LastContact: 0, KnownLeader: true, NextToken: "" },
      { "X-Nomad-Index": String(out.Index ?? 0) },
    );
  };
  const get = () => {
    if (method !== "GET") throw new ApiError(405, INVALID_METHOD);
  };
  const prefix = q.get("prefix") ?? "";

  if (p === "/v1/jobs") {
    if (method === "GET")
      return read(["jobs", "allocs", "evals"], (meta) =>
        json(
          [...store.jobs.values()]
            .filter((j) => j.ID.startsWith(prefix))
            .sort((a, b) => (a.ID < b.ID ? -1 : 1))
            .map((j) => store.stub(j)),
          meta,
        ),
      );
    if (method === "PUT" || method === "POST")
      return write(register(store, decodeBody(req), "", req.authorizeJob));
    throw new ApiError(405, INVALID_METHOD);
  }
  if (p === "/v1/allocations") {
    get();
    return read(["allocs"], (meta) =>
      json(
        [...store.allocs.values()]
          .filter((a) => a.ID.startsWith(prefix))
          .sort((a, b) => b.CreateIndex - a.CreateIndex)
          .map((a) => allocStub(store, a)),
        meta,
      ),
    );
  }
  if (p === "/v1/evaluations") {
    get();
    return read(["evals"], (meta) =>
      json(
        [...store.evals.values()]
          .filter((e) => e.ID.startsWith(prefix))
          .sort((a, b) => b.CreateIndex - a.CreateIndex)
          .map(evalOut),
        meta,
      ),
    );
  }
  if (p === "/v1/deployments") {
    get();
    return read(["deployment"], (meta) =>
      json(
        [...store.deployments.values()]
          .filter((d) => d.ID.startsWith(prefix))
          .sort((a, b) => b.CreateIndex - a.CreateIndex),
        meta,
      ),
    );
  }
  let m = /^\/v1\/node\/([^/]+)\/allocations$/.exec(p);
  if (m) {
    get();
    const id = m[1];
    return read(["allocs"], (meta) =>
      json(
        [...store.allocs.values()]
          .filter((a) => a.NodeID === id && (!req.acl || req.acl.allowNsOp(a.Namespace, "read-job")))
          .map((a) => allocOut(store, a)),
        meta,
      ),
    );
  }
  m = /^\/v1\/allocation\/(.+)$/.exec(p);
  if (m) {
    const [id, sub] = m[1].split("/");
    if (sub) throw new ApiError(501, `np's Nomad test double does not implement ${method} ${p}`);
    get();
    return read(["allocs"], (meta) => {
      const a =
        store.allocs.get(id) ?? [...store.allocs.values()].find((x) => id.length >= 8 && x.ID.startsWith(id));
      if (!a) return { status: 404, headers: meta, text: "alloc not found" };
      // Alloc.GetAlloc re-checks read-job in the alloc's namespace and answers as if it did not exist
      if (req.acl && !req.acl.allowClientOp() && !req.acl.allowNsAny(a.Namespace, "read-job"))
        throw new ApiError(500, `Unknown allocation "${id}"`);
      return json(allocOut(store, a), { ...meta, "X-Nomad-Index": String(a.ModifyIndex) });
    });
  }
  m = /^\/v1\/evaluation\/(.+)$/.exec(p);
  if (m) {
    const [id, sub] = m[1].split("/");
    get();
    if (sub === "allocations")
      return read(["allocs"], (meta) =>
        json(
          [...store.allocs.values()].filter((a) => a.EvalID === id).map((a) => allocStub(store, a)),
          meta,
        ),
      );
    if (sub) throw new ApiError(404, INVALID_METHOD);
    return read(["evals"], (meta) => {
      const e = store.evals.get(id);
      if (!e) return { status: 404, headers: meta, text: "eval not found" };
      return json(evalOut(e), meta);
    });
  }
  m = /^\/v1\/deployment\/(.+)$/.exec(p);
  if (m) {
    const rest = m[1];
    if (rest.startsWith("allocations/")) {
      get();
      const id = rest.slice("allocations/".length);
      return read(["allocs", "deployment"], (meta) =>
        json(
          [...store.allocs.values()].filter((a) => a.DeploymentID === id).map((a) => allocStub(store, a)),
          meta,
        ),
      );
    }
    if (rest.includes("/"))
      throw new ApiError(501, `np's Nomad test double does not implement ${method} ${p}`);
    get();
    return read(["deployment"], (meta) => {
      const d = store.deployments.get(rest);
      if (!d) return { status: 404, headers: meta, text: "deployment not found" };
      return json(d, meta);
    });
  }
  m = /^\/v1\/job\/(.+)$/.exec(p);
  if (m) return jobSpecific(agent, req, decodeURIComponent(m[1]), { read, write, get });
  throw new ApiError(404, INVALID_METHOD);
}

/** Job.Register; `authorize` (ACLs) runs after the admission controllers, as in nomad/job_endpoint.go. */
function register(store, b, urlId, authorize) {
  const job = b.job;
  if (!job) throw new ApiError(400, "Job must be specified");
  if (job.ID == null) throw new ApiError(400, "Job ID hasn't been provided");
  if (urlId && job.ID !== urlId) throw new ApiError(400, "Job ID does not match name");
  return store.register({
    Job: job,
    EnforceIndex: b.enforceindex === true,
    JobModifyIndex: b.jobmodifyindex ?? 0,
    PreserveCounts: b.preservecounts === true,
    EvalPriority: b.evalpriority ?? 0,
    Authorize: authorize,
  });
}

async function jobSpecific(agent, req, rest, { read, write, get }) {
  const store = agent.store;
  const { method } = req;
  const subs = [
    "allocations",
    "evaluations",
    "plan",
    "summary",
    "versions",
    "revert",
    "deployments",
    "deployment",
    "scale",
    "evaluate",
    "stable",
    "submission",
    "services",
  ];
  const sub = subs.find((s) => rest.endsWith(`/${s}`));
  const id = sub ? rest.slice(0, -(sub.length + 1)) : rest;
  const notFound = (meta) => ({ status: 404, headers: meta, text: "job not found" });
  switch (sub) {
    case undefined:
      if (method === "GET")
        return read(["jobs"], (meta) => {
          const j = store.jobs.get(id);
          return j ? json(j, { ...meta, "X-Nomad-Index": String(j.ModifyIndex) }) : notFound(meta);
        });
      if (method === "PUT" || method === "POST")
        return write(register(store, decodeBody(req), id, req.authorizeJob));
      if (method === "DELETE") {
        const purge = req.query.get("purge");
        if (purge && !/^(1|0|t|f|true|false|TRUE|FALSE|True|False|T|F)$/.test(purge))
          throw new ApiError(
            500,
            `Failed to parse value of "purge" (${purge}) as a bool: strconv.ParseBool: parsing "${purge}": invalid syntax`,
          );
        return write(store.deregister(id, /^(1|t|true)$/i.test(purge ?? "")));
      }
      throw new ApiError(405, INVALID_METHOD);
    case "allocations":
      get();
      return read(["allocs"], (meta) => {
        // ?all=true adds allocs of earlier jobs with the same ID; the double purges those with the job
        const list = store.jobAllocs(id);
        return json(
          list.sort((a, b) => b.CreateIndex - a.CreateIndex).map((a) => allocStub(store, a)),
          meta,
        );
      });
    case "evaluations":
      get();
      return read(["evals"], (meta) =>
        json(
          [...store.evals.values()]
            .filter((e) => e.JobID === id)
            .sort((a, b) => b.CreateIndex - a.CreateIndex)
            .map(evalOut),
          meta,
        ),
      );
    case "deployments":
      get();
      return read(["deployment"], (meta) =>
        json(
          [...store.deployments.values()]
            .filter((d) => d.JobID === id)
            .sort((a, b) => b.CreateIndex - a.CreateIndex),
          meta,
        ),
      );
    case "deployment":
      get();
      return read(["deployment"], (meta) => json(store.latestDeployment(id), meta));
    case "summary":
      get();
      return read(["jobs", "allocs", "evals"], (meta) => {
        const j = store.jobs.get(id);
        return j ? json(store.summary(j), meta) : notFound(meta);
      });
    case "versions":
      get();
      return read(["job_version"], (meta) => {
        const list = store.versions.get(id);
        if (!list) return { status: 404, headers: meta, text: "job versions not found" };
        const diffs =
          req.query.get("diffs") === "true"
            ? list.slice(0, -1).map((v, i) => store.planDiff(list[i + 1], v, false))
            : null;
        return json(
          {
            Versions: list,
            Diffs: diffs,
            Index: Number(meta["X-Nomad-Index"]),
            LastContact: 0,
            KnownLeader: true,
            NextToken: "",
          },
          meta,
        );
      });
    case "plan": {
      if (method !== "PUT" && method !== "POST") throw new ApiError(405, INVALID_METHOD);
      const b = decodeBody(req);
      if (!b.job) throw new ApiError(400, "Job must be specified");
      if (b.job.ID == null) throw new ApiError(400, "Job must have a valid ID");
      if (b.job.ID !== id) throw new ApiError(400, "Job ID does not match");
      return json(plan(agent, b, req.authorizeJob));
    }
    case "revert": {
      if (method !== "PUT" && method !== "POST") throw new ApiError(405, INVALID_METHOD);
      const b = decodeBody(req);
      if (!b.jobid) throw new ApiError(400, "JobID must be specified");
      if (b.jobid !== id) throw new ApiError(400, "Job ID does not match");
      return write(
        store.revert(id, {
          JobVersion: b.jobversion ?? 0,
          EnforcePriorVersion: b.enforcepriorversion ?? null,
        }),
      );
    }
    case "scale":
      if (method === "GET")
        return read(["jobs", "allocs", "deployment"], (meta) => {
          const j = store.jobs.get(id);
          return j ? json(scaleStatus(store, j), meta) : notFound(meta);
        });
      if (method === "PUT" || method === "POST") {
        const b = decodeBody(req);
        const target = Object.fromEntries(
          Object.entries(b.target ?? {}).map(([k, v]) => [k[0].toUpperCase() + k.slice(1).toLowerCase(), v]),
        );
        if (target.Job && target.Job !== id) throw new ApiError(400, "job ID in payload did not match URL");
        return write(
          store.scale(id, {
            Count: b.count,
            Target: target,
            Message: b.message,
            Error: b.error,
            Meta: b.meta,
            JobModifyIndex: b.jobmodifyindex ?? 0,
          }),
        );
      }
      throw new ApiError(405, INVALID_METHOD);
    default:
      throw new ApiError(501, `np's Nomad test double does not implement ${method} ${req.path}`);
  }
}

/** Job.Plan: runs the scheduler on the submitted job without committing anything. */
function plan(agent, b, authorize) {
  const store = agent.store;
  const job = canonicalizeJob(b.job);
  const bad = validateJob(job);
  if (bad) throw new ApiError(500, bad);
  authorize?.(job);
  const existing = store.jobs.get(job.ID) ?? null;
  const candidate = structuredClone(job);
  const changed = !existing || existing.Stop || specChanged(existing, job);
  candidate.Version = existing ? existing.Version + (changed ? 1 : 0) : 0;
  candidate.CreateIndex = existing?.CreateIndex ?? 0;
  const result = reconcile(store, candidate, job.ID, agent.schedulableNodes());
  const diff = b.diff ? store.planDiff(existing, job, result.desired) : null;
  return {
    Annotations: { DesiredTGUpdates: result.desired, PreemptedAllocs: null },
    FailedTGAllocs: Object.keys(result.failed).length ? result.failed : null,
    JobModifyIndex: existing?.JobModifyIndex ?? 0,
    CreatedEvals: null,
    Diff: diff,
    NextPeriodicLaunch: "0001-01-01T00:00:00Z",
    Warnings: "",
    Index: existing?.JobModifyIndex ?? 0,
  };
}

/** structs.JobScaleStatus. */
function scaleStatus(store, job) {
  const groups = {};
  const allocs = store.jobAllocs(job.ID);
  const events = store.scaleEvents.get(job.ID) ?? {};
  for (const tg of job.TaskGroups) {
    const mine = allocs.filter((a) => a.TaskGroup === tg.Name && !terminal(a));
    groups[tg.Name] = {
      Desired: tg.Count,
      Placed: mine.length,
      Running: mine.filter((a) => a.ClientStatus === "running").length,
      Healthy: mine.filter((a) => a.DeploymentStatus?.Healthy === true).length,
      Unhealthy: mine.filter((a) => a.DeploymentStatus?.Healthy === false).length,
      Events: events[tg.Name] ?? null,
    };
  }
  return {
    JobID: job.ID,
    Namespace: job.Namespace,
    JobCreateIndex: job.CreateIndex,
    JobModifyIndex: job.JobModifyIndex,
    JobStopped: job.Stop,
    TaskGroups: groups,
  };
}
