// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the job diff of POST /v1/job/:id/plan, shaped like
// nomad/structs/diff.go (JobDiff/TaskGroupDiff/TaskDiff/ObjectDiff/FieldDiff with Type Added|Deleted|Edited|None,
// primitive fields flattened to strings, maps as "Meta[key]", lists of structs as one object each, contextual
// diffs listing unchanged fields as None) and annotated like scheduler/annotate.go (Updates, "forces …").
// The field coverage is generic (every primitive field of the stored structs), not diff.go's hand-written lists.

const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v) => (v === null || v === undefined ? "" : String(v));

// Struct-valued fields and list-of-struct fields, named like diff.go names their ObjectDiffs.
const OBJECT_NAMES = {
  Constraints: "Constraint",
  Affinities: "Affinity",
  Spreads: "Spread",
  Networks: "Network",
  Services: "Service",
  Checks: "Check",
  DynamicPorts: "Dynamic Port",
  ReservedPorts: "Static Port",
  Artifacts: "Artifact",
  Templates: "Template",
  VolumeMounts: "VolumeMount",
};
// Keys the diff skips (structs.Job.Diff / TaskGroup.Diff / Task.Diff filter lists).
const SKIP_JOB = new Set([
  "ID",
  "Status",
  "StatusDescription",
  "Version",
  "Stable",
  "CreateIndex",
  "ModifyIndex",
  "JobModifyIndex",
  "Update",
  "SubmitTime",
  "NomadTokenID",
  "VersionTag",
  "TaskGroups",
]);
const SKIP_TG = new Set(["Name", "Tasks"]);
const SKIP_TASK = new Set(["Name"]);

/** Flattens a plain value to diff.go's field names: "Meta[k]", "args[0]", nested "a.b". */
function flatten(v, prefix, out) {
  if (Array.isArray(v)) for (const [i, x] of v.entries()) flatten(x, `${prefix}[${i}]`, out);
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}[${k}]` : k, out);
  else out[prefix] = str(v);
  return out;
}

function fieldDiffs(oldF, newF, contextual) {
  const names = [...new Set([...Object.keys(oldF), ...Object.keys(newF)])].sort();
  const out = [];
  for (const n of names) {
    const o = oldF[n];
    const w = newF[n];
    let type = "None";
    if (o === undefined) type = "Added";
    else if (w === undefined) type = "Deleted";
    else if (o !== w) type = "Edited";
    if (type === "None" && !contextual) continue;
    // diff.go drops fields that are empty on both sides
    if (type === "Added" && w === "" && !contextual) continue;
    out.push({ Annotations: null, Name: n, New: w ?? "", Old: o ?? "", Type: type });
  }
  return out;
}

const isStructList = (v) => Array.isArray(v) && v.some(isObj);
const isScalarList = (v) => Array.isArray(v) && !v.some(isObj);

/** Splits a struct into primitive fields (flattened) and object members. */
function split(o, skip) {
  const fields = {};
  const objects = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    if (skip.has(k) || k.startsWith("_")) continue;
    if (k === "Meta" || k === "Env" || k === "Header") flatten(v ?? {}, k, fields);
    else if (isObj(v) || isStructList(v) || (isScalarList(v) && v.length)) objects[k] = v;
    else if (Array.isArray(v) || v === null) continue;
    else fields[k] = str(v);
  }
  return { fields, objects };
}

function objectDiff(name, o, w, contextual) {
  if (isScalarList(o ?? w)) {
    // stringSetDiff: one object named like the field, each value a field of that name
    const os = new Set((o ?? []).map(str));
    const ws = new Set((w ?? []).map(str));
    const fields = [];
    for (const v of [...new Set([...os, ...ws])].sort()) {
      const type = os.has(v) && ws.has(v) ? "None" : os.has(v) ? "Deleted" : "Added";
      if (type === "None" && !contextual) continue;
      fields.push({
        Annotations: null,
        Name: name,
        New: ws.has(v) ? v : "",
        Old: os.has(v) ? v : "",
        Type: type,
      });
    }
    const type = !o ? "Added" : !w ? "Deleted" : fields.some((f) => f.Type !== "None") ? "Edited" : "None";
    return { Fields: fields, Name: name, Objects: null, Type: type };
  }
  const a = name === "Config" ? { fields: flatten(o ?? {}, "", {}), objects: {} } : split(o, new Set());
  const b = name === "Config" ? { fields: flatten(w ?? {}, "", {}), objects: {} } : split(w, new Set());
  const fields = fieldDiffs(a.fields, b.fields, contextual);
  const objects = objectsDiff(a.objects, b.objects, contextual);
  const changed = fields.some((f) => f.Type !== "None") || objects.length > 0;
  const type = o == null ? "Added" : w == null ? "Deleted" : changed ? "Edited" : "None";
  return {
    Fields: fields.length ? fields : null,
    Name: name,
    Objects: objects.length ? objects : null,
    Type: type,
  };
}

/** Diffs object members; lists of structs pair by position when both sides have an element, like a set diff. */
function objectsDiff(oldO, newO, contextual) {
  const out = [];
  for (const k of [...new Set([...Object.keys(oldO), ...Object.keys(newO)])].sort()) {
    const o = oldO[k];
    const w = newO[k];
    const name = OBJECT_NAMES[k] ?? k;
    if (isStructList(o) || isStructList(w)) {
      // elements pair by Name/Label (Mode for networks), like diff.go's serviceDiffs/portDiffs; others by equality
      const key = (x) => x?.Name ?? x?.Label ?? x?.Mode ?? null;
      const os = (o ?? []).map((x) => JSON.stringify(x));
      const ws = (w ?? []).map((x) => JSON.stringify(x));
      const paired = new Set();
      for (const [i, x] of (o ?? []).entries()) {
        if (ws.includes(os[i])) continue;
        const j =
          key(x) == null
            ? -1
            : (w ?? []).findIndex((y, k) => !paired.has(k) && key(y) === key(x) && !os.includes(ws[k]));
        if (j >= 0) {
          paired.add(j);
          const d = objectDiff(name, x, w[j], contextual);
          if (d.Type !== "None") out.push(d);
        } else out.push(objectDiff(name, x, null, contextual));
      }
      for (const [i, x] of (w ?? []).entries())
        if (!paired.has(i) && !os.includes(ws[i])) out.push(objectDiff(name, null, x, contextual));
      continue;
    }
    const d = objectDiff(name, o ?? null, w ?? null, contextual);
    if (d.Type !== "None") out.push(d);
  }
  return out;
}

function taskDiff(o, w, contextual, annotation) {
  const a = split(o, SKIP_TASK);
  const b = split(w, SKIP_TASK);
  const fields = fieldDiffs(a.fields, b.fields, contextual && o && w);
  const objects = objectsDiff(a.objects, b.objects, contextual);
  const changed = fields.some((f) => f.Type !== "None") || objects.length > 0;
  const type = !o ? "Added" : !w ? "Deleted" : changed ? "Edited" : "None";
  let ann = null;
  if (type === "Added") ann = ["forces create"];
  else if (type === "Deleted") ann = ["forces destroy"];
  else if (type === "Edited" && annotation) ann = [annotation];
  return {
    Annotations: ann,
    Fields: type === "None" ? null : fields,
    Name: (w ?? o).Name,
    Objects: type === "None" || !objects.length ? null : objects,
    Type: type,
  };
}

/** Turns scheduler.DesiredUpdates into TaskGroupDiff.Updates (scheduler/annotate.go). */
function updatesOf(u) {
  if (!u) return null;
  const map = {
    Ignore: "ignore",
    Place: "create",
    Stop: "destroy",
    Migrate: "migrate",
    Canary: "canary",
    InPlaceUpdate: "in-place update",
    DestructiveUpdate: "create/destroy update",
  };
  const out = {};
  for (const [k, name] of Object.entries(map)) if (u[k]) out[name] = u[k];
  return Object.keys(out).length ? out : null;
}

function groupDiff(o, w, contextual, desired) {
  const a = split(o, SKIP_TG);
  const b = split(w, SKIP_TG);
  const fields = fieldDiffs(a.fields, b.fields, contextual && o && w);
  const count = fields.find((f) => f.Name === "Count" && f.Type === "Edited");
  if (count) count.Annotations = [Number(count.New) > Number(count.Old) ? "forces create" : "forces destroy"];
  const objects = objectsDiff(a.objects, b.objects, contextual);
  const taskAnn = desired?.DestructiveUpdate
    ? "forces create/destroy update"
    : desired?.InPlaceUpdate
      ? "forces in-place update"
      : null;
  const oldTasks = new Map((o?.Tasks ?? []).map((t) => [t.Name, t]));
  const newTasks = new Map((w?.Tasks ?? []).map((t) => [t.Name, t]));
  const tasks = [...new Set([...oldTasks.keys(), ...newTasks.keys()])]
    .sort()
    .map((n) => taskDiff(oldTasks.get(n), newTasks.get(n), contextual, taskAnn))
    .filter((t) => contextual || t.Type !== "None");
  const changed =
    fields.some((f) => f.Type !== "None") || objects.length || tasks.some((t) => t.Type !== "None");
  const type = !o ? "Added" : !w ? "Deleted" : changed ? "Edited" : "None";
  return {
    Fields: type === "None" ? null : fields,
    Name: (w ?? o).Name,
    Objects: type === "None" || !objects.length ? null : objects,
    Tasks: tasks,
    Type: type,
    Updates: updatesOf(desired),
  };
}

/** structs.Job.Diff(other, contextual) plus the plan's annotations: the Diff of a plan response. */
export function jobDiff(oldJob, newJob, contextual, desiredByGroup = {}) {
  const a = split(oldJob, SKIP_JOB);
  const b = split(newJob, SKIP_JOB);
  const fields = fieldDiffs(a.fields, b.fields, contextual && oldJob && newJob);
  const objects = objectsDiff(a.objects, b.objects, contextual);
  const oldG = new Map((oldJob?.TaskGroups ?? []).map((g) => [g.Name, g]));
  const newG = new Map((newJob?.TaskGroups ?? []).map((g) => [g.Name, g]));
  const groups = [...new Set([...oldG.keys(), ...newG.keys()])]
    .sort()
    .map((n) => groupDiff(oldG.get(n), newG.get(n), contextual, desiredByGroup[n]));
  const changed =
    fields.some((f) => f.Type !== "None") || objects.length || groups.some((g) => g.Type !== "None");
  const type = !oldJob ? "Added" : !newJob ? "Deleted" : changed ? "Edited" : "None";
  return {
    Fields: type === "None" && !contextual ? null : fields,
    ID: (newJob ?? oldJob).ID,
    Objects: objects.length ? objects : null,
    TaskGroups: groups,
    Type: type,
  };
}
