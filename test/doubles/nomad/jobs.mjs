// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the job model. Canonicalizes a submitted api.Job into
// the structs.Job shape Nomad stores and returns (api/jobs.go, api/tasks.go, api/services.go Canonicalize and
// nomad/structs/structs.go defaults), validates it with Nomad's texts (structs.Job.Validate, TaskGroup.Validate,
// Task.Validate, UpdateStrategy.Validate, formatted like hashicorp/go-multierror), and builds list stubs.

const S = 1e9; // Go durations are integer nanoseconds in job JSON
const clone = (v) => (v == null ? v : structuredClone(v));
const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const pick = (v, d) => (v === undefined || v === null ? d : v);

/** Case-insensitive key lookup (Go's encoding/json matches field names case-insensitively). */
export function normalizeKeys(v, shape) {
  if (!isObj(v) || !shape) return v;
  const out = {};
  const lower = new Map(Object.keys(shape).map((k) => [k.toLowerCase(), k]));
  for (const [k, x] of Object.entries(v)) out[lower.get(k.toLowerCase()) ?? k] = x;
  return out;
}

const UPDATE_DEFAULT = {
  // api.DefaultUpdateStrategy (api/jobs.go)
  Stagger: 30 * S,
  MaxParallel: 1,
  HealthCheck: "checks",
  MinHealthyTime: 10 * S,
  HealthyDeadline: 300 * S,
  ProgressDeadline: 600 * S,
  Canary: 0,
  AutoRevert: false,
  AutoPromote: false,
};

function canonUpdate(jobUpd, tgUpd) {
  if (jobUpd == null && tgUpd == null) return { ...UPDATE_DEFAULT };
  const merged = { ...UPDATE_DEFAULT, ...(jobUpd ?? {}), ...(tgUpd ?? {}) };
  // MaxParallel 0 means "no update strategy" (structs.UpdateStrategy.IsEmpty): Nomad drops the block.
  return merged.MaxParallel === 0 ? null : merged;
}

function canonCheck(c, svcName) {
  return {
    Name: c.Name || `service: "${svcName}" check`,
    Type: c.Type ?? "",
    Command: c.Command ?? "",
    Args: c.Args ?? null,
    Path: c.Path ?? "",
    Protocol: c.Protocol ?? "",
    PortLabel: c.PortLabel ?? "",
    Expose: c.Expose ?? false,
    AddressMode: c.AddressMode ?? "",
    Advertise: c.Advertise ?? "",
    Interval: c.Interval ?? 0,
    Timeout: c.Timeout ?? 0,
    InitialStatus: c.InitialStatus ?? "",
    Notes: c.Notes ?? "",
    TLSServerName: c.TLSServerName ?? "",
    TLSSkipVerify: c.TLSSkipVerify ?? false,
    Header: c.Header ?? null,
    Method: c.Method ?? "",
    CheckRestart: c.CheckRestart ?? null,
    GRPCService: c.GRPCService ?? "",
    GRPCUseTLS: c.GRPCUseTLS ?? false,
    TaskName: c.TaskName ?? "",
    SuccessBeforePassing: c.SuccessBeforePassing ?? 0,
    FailuresBeforeCritical: c.FailuresBeforeCritical ?? 0,
    FailuresBeforeWarning: c.FailuresBeforeWarning ?? 0,
    Body: c.Body ?? "",
    OnUpdate: c.OnUpdate || "require_healthy",
  };
}

function canonService(s) {
  return {
    Name: s.Name ?? "",
    TaskName: s.TaskName ?? "",
    PortLabel: s.PortLabel ?? "",
    AddressMode: s.AddressMode || "auto",
    Address: s.Address ?? "",
    EnableTagOverride: s.EnableTagOverride ?? false,
    Tags: s.Tags ?? null,
    CanaryTags: s.CanaryTags ?? null,
    Checks: s.Checks ? s.Checks.map((c) => canonCheck(c, s.Name ?? "")) : null,
    Connect: s.Connect ?? null,
    Meta: s.Meta ?? null,
    CanaryMeta: s.CanaryMeta ?? null,
    TaggedAddresses: s.TaggedAddresses ?? null,
    Namespace: "default",
    OnUpdate: s.OnUpdate || "require_healthy",
    Provider: s.Provider || "consul",
    Cluster: s.Cluster || "default",
    Identity: s.Identity ?? null,
    Weights: s.Weights ?? null,
    Kind: s.Kind ?? "",
  };
}

function canonNetwork(n) {
  const port = (p) => ({
    Label: p.Label ?? "",
    Value: p.Value ?? 0,
    To: p.To ?? 0,
    HostNetwork: p.HostNetwork || "default",
    IgnoreCollision: p.IgnoreCollision ?? false,
  });
  return {
    Mode: n.Mode || "host",
    Device: n.Device ?? "",
    CIDR: n.CIDR ?? "",
    IP: n.IP ?? "",
    Hostname: n.Hostname ?? "",
    MBits: n.MBits ?? 0,
    DNS: n.DNS ?? null,
    ReservedPorts: n.ReservedPorts ? n.ReservedPorts.map(port) : null,
    DynamicPorts: n.DynamicPorts ? n.DynamicPorts.map(port) : null,
    CNI: n.CNI ?? null,
  };
}

function canonTask(t, tg) {
  const r = t.Resources ?? {};
  return {
    Name: t.Name ?? "",
    Driver: t.Driver ?? "",
    User: t.User ?? "",
    Config: t.Config ?? null,
    Env: t.Env ?? null,
    Services: t.Services ? t.Services.map(canonService) : null,
    Vault: t.Vault ?? null,
    Consul: t.Consul ?? null,
    Templates: t.Templates ?? null,
    Constraints: t.Constraints ?? null,
    Affinities: t.Affinities ?? null,
    Resources: {
      // api.DefaultResources / MinResources: CPU 100 MHz, 300 MB
      CPU: pick(r.CPU, 100),
      Cores: r.Cores ?? 0,
      MemoryMB: pick(r.MemoryMB, 300),
      MemoryMaxMB: r.MemoryMaxMB ?? 0,
      DiskMB: r.DiskMB ?? 0,
      IOPS: 0,
      Networks: r.Networks ?? null,
      Devices: r.Devices ?? null,
      NUMA: r.NUMA ?? null,
      SecretsMB: r.SecretsMB ?? 0,
    },
    RestartPolicy: clone(t.RestartPolicy ?? tg.RestartPolicy),
    DispatchPayload: t.DispatchPayload ?? null,
    Lifecycle: t.Lifecycle ?? null,
    Meta: t.Meta ?? null,
    KillTimeout: pick(t.KillTimeout, 5 * S),
    LogConfig: {
      MaxFiles: pick(t.LogConfig?.MaxFiles, 10),
      MaxFileSizeMB: pick(t.LogConfig?.MaxFileSizeMB, 10),
      Disabled: t.LogConfig?.Disabled ?? t.LogConfig?.Enabled === false,
    },
    Artifacts: t.Artifacts ?? null,
    Leader: t.Leader ?? false,
    ShutdownDelay: t.ShutdownDelay ?? 0,
    VolumeMounts: t.VolumeMounts ?? null,
    ScalingPolicies: t.ScalingPolicies ?? null,
    KillSignal: t.KillSignal ?? "",
    Kind: t.Kind ?? "",
    CSIPluginConfig: t.CSIPluginConfig ?? null,
    Identity: t.Identity ?? null,
    Identities: t.Identities ?? null,
    Actions: t.Actions ?? null,
    Schedule: t.Schedule ?? null,
  };
}

function canonGroup(tg, job) {
  const service = job.Type === "service";
  // Default restart policy for service jobs (api/tasks.go): 2 attempts in 30m, 15s delay, mode fail.
  const restartDefault = service
    ? { Attempts: 2, Interval: 1800 * S, Delay: 15 * S, Mode: "fail", RenderTemplates: false }
    : { Attempts: 3, Interval: 86400 * S, Delay: 15 * S, Mode: "fail", RenderTemplates: false };
  const rescheduleDefault = service
    ? {
        Attempts: 0,
        Interval: 0,
        Delay: 30 * S,
        DelayFunction: "exponential",
        MaxDelay: 3600 * S,
        Unlimited: true,
      }
    : {
        Attempts: 1,
        Interval: 86400 * S,
        Delay: 5 * S,
        DelayFunction: "constant",
        MaxDelay: 0,
        Unlimited: false,
      };
  const out = {
    Name: tg.Name ?? "",
    Count: pick(tg.Count, 1),
    Update: service ? canonUpdate(job.Update, tg.Update) : null,
    Migrate: service
      ? {
          MaxParallel: 1,
          HealthCheck: "checks",
          MinHealthyTime: 10 * S,
          HealthyDeadline: 300 * S,
          ...tg.Migrate,
        }
      : null,
    Constraints: tg.Constraints ?? null,
    Scaling: tg.Scaling ?? null,
    RestartPolicy: { ...restartDefault, ...(tg.RestartPolicy ?? {}) },
    Disconnect: tg.Disconnect ?? null,
    Tasks: null,
    EphemeralDisk: { Sticky: false, SizeMB: 300, Migrate: false, ...(tg.EphemeralDisk ?? {}) },
    Meta: tg.Meta ?? null,
    ReschedulePolicy: { ...rescheduleDefault, ...(tg.ReschedulePolicy ?? job.Reschedule ?? {}) },
    Affinities: tg.Affinities ?? null,
    Spreads: tg.Spreads ?? null,
    Networks: tg.Networks ? tg.Networks.map(canonNetwork) : null,
    Consul: { Namespace: "", Cluster: "default", Partition: "" },
    Services: tg.Services ? tg.Services.map(canonService) : null,
    Volumes: tg.Volumes ?? null,
    ShutdownDelay: tg.ShutdownDelay ?? null,
    StopAfterClientDisconnect: tg.StopAfterClientDisconnect ?? null,
    MaxClientDisconnect: tg.MaxClientDisconnect ?? null,
    PreventRescheduleOnLost: tg.PreventRescheduleOnLost ?? false,
  };
  out.Tasks = (tg.Tasks ?? []).map((t) => canonTask(t, out));
  return out;
}

/** api.Job.Canonicalize + the server's defaults: the structs.Job Nomad stores for a submitted job. */
export function canonicalizeJob(input) {
  const j = structuredClone(input);
  const job = {
    Stop: false,
    Region: j.Region || "global",
    Namespace: j.Namespace || "default",
    ID: j.ID,
    ParentID: j.ParentID ?? "",
    Name: j.Name || j.ID,
    Type: j.Type || "service",
    Priority: pick(j.Priority, 50),
    AllAtOnce: j.AllAtOnce ?? false,
    Datacenters: j.Datacenters?.length ? j.Datacenters : ["*"],
    NodePool: j.NodePool || "default",
    Constraints: j.Constraints ?? null,
    Affinities: j.Affinities ?? null,
    Spreads: j.Spreads ?? null,
    TaskGroups: null,
    // structs.Job.Update keeps only the legacy Stagger/MaxParallel (the rest lives in each group).
    Update: {
      Stagger: j.Update?.Stagger ?? 30 * S,
      MaxParallel: j.Update?.MaxParallel ?? 1,
      HealthCheck: "",
      MinHealthyTime: 0,
      HealthyDeadline: 0,
      ProgressDeadline: 0,
      Canary: 0,
      AutoRevert: false,
      AutoPromote: false,
    },
    Multiregion: null,
    Periodic: j.Periodic ?? null,
    ParameterizedJob: j.ParameterizedJob ?? null,
    Dispatched: false,
    DispatchIdempotencyToken: "",
    Payload: null,
    Meta: j.Meta ?? null,
    ConsulNamespace: "",
    VaultNamespace: "",
    NomadTokenID: "",
    Status: "",
    StatusDescription: "",
    Stable: false,
    Version: 0,
    SubmitTime: 0,
    CreateIndex: 0,
    ModifyIndex: 0,
    JobModifyIndex: 0,
    VersionTag: null,
    UI: j.UI ?? null,
  };
  job.TaskGroups = (j.TaskGroups ?? []).map((tg) => canonGroup(tg, j.Type ? j : { ...j, Type: "service" }));
  return job;
}

// ---------------------------------------------------------------- validation (go-multierror formatting)
/** hashicorp/go-multierror ListFormatFunc. */
export function multiError(errs) {
  if (errs.length === 1) return `1 error occurred:\n\t* ${errs[0]}\n\n`;
  return `${errs.length} errors occurred:\n\t${errs.map((e) => `* ${e}`).join("\n\t")}\n\n`;
}

const durStr = (ns) => {
  const ms = ns / 1e6;
  if (ms === 0) return "0s";
  const h = Math.floor(ms / 3.6e6);
  const m = Math.floor((ms % 3.6e6) / 6e4);
  const s = (ms % 6e4) / 1e3;
  return `${h ? `${h}h` : ""}${h || m ? `${m}m` : ""}${Number(s.toFixed(9))}s`;
};

export { durStr as goDurationNs };

function validateUpdate(u) {
  // structs.UpdateStrategy.Validate
  const errs = [];
  if (!["checks", "task_states", "manual"].includes(u.HealthCheck))
    errs.push(`Invalid health check given: "${u.HealthCheck}"`);
  if (u.MaxParallel < 0) errs.push(`Max parallel can not be less than zero: ${u.MaxParallel} < 0`);
  if (u.Canary < 0) errs.push(`Canary count can not be less than zero: ${u.Canary} < 0`);
  if (u.Canary === 0 && u.AutoPromote) errs.push("Auto Promote requires a Canary count greater than zero");
  if (u.MinHealthyTime < 0) errs.push(`Minimum healthy time may not be less than zero: ${u.MinHealthyTime}`);
  if (u.HealthyDeadline <= 0) errs.push(`Healthy deadline must be greater than zero: ${u.HealthyDeadline}`);
  if (u.ProgressDeadline < 0) errs.push(`Progress deadline must be zero or greater: ${u.ProgressDeadline}`);
  if (u.MinHealthyTime >= u.HealthyDeadline)
    errs.push(
      `Minimum healthy time must be less than healthy deadline: ${durStr(u.MinHealthyTime)} > ${durStr(u.HealthyDeadline)}`,
    );
  if (u.ProgressDeadline !== 0 && u.HealthyDeadline >= u.ProgressDeadline)
    errs.push(
      `Healthy deadline must be less than progress deadline: ${durStr(u.HealthyDeadline)} > ${durStr(u.ProgressDeadline)}`,
    );
  if (u.Stagger <= 0) errs.push(`Stagger must be greater than zero: ${durStr(u.Stagger)}`);
  return errs;
}

function validateTask(t, tg) {
  const errs = [];
  if (!t.Name) errs.push("Missing task name");
  if (t.Name.includes("/")) errs.push("Task name cannot include slashes");
  if (!t.Driver) errs.push("Missing task driver");
  if (t.KillTimeout < 0) errs.push("KillTimeout must be a positive value");
  if (tg.Update && tg.Update.ProgressDeadline > 0 && t.KillTimeout > tg.Update.ProgressDeadline)
    errs.push(
      `KillTimout (${durStr(t.KillTimeout)}) longer than the group's ProgressDeadline (${durStr(tg.Update.ProgressDeadline)})`,
    );
  if (t.ShutdownDelay < 0) errs.push("ShutdownDelay must be a positive value");
  if (t.Resources.CPU < 1 && !t.Resources.Cores)
    errs.push("Resources validation failed: minimum CPU value is 1; got 0");
  if (t.Resources.MemoryMB < 10)
    errs.push(`Resources validation failed: minimum MemoryMB value is 10; got ${t.Resources.MemoryMB}`);
  return errs;
}

function validateGroup(tg, _job) {
  const errs = [];
  if (!tg.Name) errs.push("Missing task group name");
  if (tg.Count < 0) errs.push("Task group count can't be negative");
  if (!tg.Tasks.length) errs.push("Missing tasks for task group");
  if (tg.Update) for (const e of validateUpdate(tg.Update)) errs.push(`Update: ${e}`);
  const ports = new Set(
    (tg.Networks ?? [])
      .flatMap((n) => [...(n.DynamicPorts ?? []), ...(n.ReservedPorts ?? [])])
      .map((p) => p.Label),
  );
  for (const s of tg.Services ?? []) {
    if (s.PortLabel && !ports.has(s.PortLabel) && !/^\d+$/.test(s.PortLabel))
      errs.push(
        `Task group service validation failed: 1 error occurred:\n\t* Service[0] ${s.Name} validation failed: 1 error occurred:\n\t* port label "${s.PortLabel}" referenced by services ${s.Name} does not exist\n\n\n\n`,
      );
    for (const c of s.Checks ?? []) {
      if (!["http", "tcp", "grpc", "script"].includes(c.Type))
        errs.push(
          `Task group service check validation failed: invalid type (${c.Type}) for check: ${c.Name}`,
        );
      if (c.Type === "http" && !c.Path)
        errs.push(
          `Task group service check validation failed: http type must have http path for check: ${c.Name}`,
        );
    }
  }
  const seen = new Map();
  tg.Tasks.forEach((t, i) => {
    if (seen.has(t.Name)) errs.push(`Task ${i + 1} redefines '${t.Name}' from task ${seen.get(t.Name) + 1}`);
    seen.set(t.Name, i);
    const te = validateTask(t, tg);
    if (te.length) errs.push(`Task ${t.Name} validation failed: ${multiError(te)}`);
  });
  return errs;
}

/** structs.Job.Validate; returns Nomad's error text or null. */
export function validateJob(job) {
  const errs = [];
  if (!job.Region) errs.push("Missing job region");
  if (!job.ID) errs.push("Missing job ID");
  else if (job.ID.includes(" ")) errs.push("Job ID contains a space");
  if (!job.Name) errs.push("Missing job name");
  if (!["service", "batch", "system", "sysbatch"].includes(job.Type))
    errs.push(`Invalid job type: "${job.Type}"`);
  if (!job.Datacenters.length) errs.push("Missing job datacenters");
  if (job.Datacenters.some((d) => d === "")) errs.push("Job datacenter must be non-empty string");
  if (!job.TaskGroups.length) errs.push("Missing job task groups");
  const seen = new Map();
  job.TaskGroups.forEach((tg, i) => {
    if (!tg.Name) errs.push(`Job task group ${i + 1} missing name`);
    else if (seen.has(tg.Name))
      errs.push(`Job task group ${i + 1} redefines '${tg.Name}' from group ${seen.get(tg.Name) + 1}`);
    seen.set(tg.Name, i);
    if (tg.ShutdownDelay != null && tg.ShutdownDelay < 0) errs.push("ShutdownDelay must be a positive value");
    const ge = validateGroup(tg, job);
    if (ge.length) errs.push(`Task group ${tg.Name} validation failed: ${multiError(ge)}`);
  });
  if (job.Priority < 1 || job.Priority > 100) errs.push("job priority must be between [1, 100]");
  return errs.length ? multiError(errs) : null;
}

/** The fields of a job whose change makes a new version (structs.Job.SpecChanged ignores these). */
const NON_SPEC = [
  "Status",
  "StatusDescription",
  "Stable",
  "Version",
  "SubmitTime",
  "CreateIndex",
  "ModifyIndex",
  "JobModifyIndex",
  "VersionTag",
];
export function specOf(job) {
  const c = { ...job };
  for (const k of NON_SPEC) delete c[k];
  return JSON.stringify(c);
}
export const specChanged = (a, b) => specOf(a) !== specOf(b);

/** Whether a group change needs new allocations (scheduler/util.go tasksUpdated, simplified: any task or network/service change). */
export function groupDestructive(a, b) {
  if (!a || !b) return true;
  const strip = (g) =>
    JSON.stringify({ ...g, Count: 0, Update: null, Migrate: null, Scaling: null, Meta: null });
  return strip(a) !== strip(b);
}

/** structs.Job.Stub: the JobListStub of GET /v1/jobs. */
export function jobStub(job, summary) {
  return {
    ID: job.ID,
    ParentID: job.ParentID,
    Name: job.Name,
    Namespace: job.Namespace,
    Datacenters: job.Datacenters,
    NodePool: job.NodePool,
    Multiregion: null,
    Type: job.Type,
    Priority: job.Priority,
    Periodic: job.Periodic != null,
    ParameterizedJob: job.ParameterizedJob != null,
    Stop: job.Stop,
    Status: job.Status,
    StatusDescription: job.StatusDescription,
    JobSummary: summary,
    CreateIndex: job.CreateIndex,
    ModifyIndex: job.ModifyIndex,
    JobModifyIndex: job.JobModifyIndex,
    SubmitTime: job.SubmitTime,
    Meta: job.Meta,
  };
}
