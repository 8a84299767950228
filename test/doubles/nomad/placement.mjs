// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): node feasibility and placement, after scheduler/feasible.go
// (datacenter, node pool, drivers, constraints), scheduler/rank.go (bin packing with job anti-affinity) and
// structs.AllocsFit (cpu/memory/disk dimensions), recording structs.AllocMetric as Nomad does (NodesEvaluated,
// NodesFiltered, ClassFiltered, ConstraintFiltered, NodesExhausted, ClassExhausted, DimensionExhausted).

const MIN_PORT = 20000;
const MAX_PORT = 32000;

/** A fresh structs.AllocMetric. */
export function newMetric(pool) {
  return {
    NodesEvaluated: 0,
    NodesFiltered: 0,
    NodesInPool: 0,
    NodePool: pool,
    NodesAvailable: {},
    ClassFiltered: null,
    ConstraintFiltered: null,
    NodesExhausted: 0,
    ClassExhausted: null,
    DimensionExhausted: null,
    QuotaExhausted: null,
    ResourcesExhausted: null,
    Scores: null,
    ScoreMetaData: null,
    AllocationTime: 0,
    CoalescedFailures: 0,
  };
}
const bump = (m, key, sub) => {
  m[key] = m[key] ?? {};
  m[key][sub] = (m[key][sub] ?? 0) + 1;
};

const globMatch = (pattern, s) =>
  new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*")
      .replaceAll("?", ".")}$`,
  ).test(s);

/** Resolves a constraint target like ${node.class}, ${meta.x}, ${attr.kernel.name} (scheduler/feasible.go resolveTarget). */
export function resolveTarget(target, node) {
  const i = node.info;
  const m = /^\$\{(.+)\}$/.exec(target);
  if (!m) return { value: target, ok: true };
  const k = m[1];
  const fixed = {
    "node.unique.id": node.ID,
    "node.datacenter": i.Datacenter,
    "node.unique.name": i.Name,
    "node.class": i.NodeClass,
    "node.pool": i.NodePool,
  };
  if (k in fixed) return { value: fixed[k], ok: true };
  if (k.startsWith("attr.")) return { value: i.Attributes[k.slice(5)], ok: k.slice(5) in i.Attributes };
  if (k.startsWith("meta.")) return { value: i.Meta[k.slice(5)], ok: k.slice(5) in i.Meta };
  return { value: undefined, ok: false };
}

/** structs.Constraint.String(): the key of ConstraintFiltered. */
export const constraintString = (c) => `${c.LTarget} ${c.Operand} ${c.RTarget}`;

/** Checks one constraint on a node (scheduler/feasible.go checkConstraint, the operands np uses). */
export function constraintMet(c, node) {
  const l = resolveTarget(c.LTarget ?? "", node);
  const r = resolveTarget(c.RTarget ?? "", node);
  switch (c.Operand || "=") {
    case "=":
    case "==":
    case "is":
      return l.ok && r.ok && l.value === r.value;
    case "!=":
    case "not":
      return !(l.ok && r.ok && l.value === r.value);
    case "is_set":
      return l.ok;
    case "is_not_set":
      return !l.ok;
    case "regexp":
      return l.ok && r.ok && new RegExp(r.value).test(String(l.value));
    case "set_contains":
    case "set_contains_all":
      return (
        l.ok &&
        r.value.split(",").every((x) =>
          String(l.value)
            .split(",")
            .map((s) => s.trim())
            .includes(x.trim()),
        )
      );
    case "set_contains_any":
      return (
        l.ok &&
        r.value.split(",").some((x) =>
          String(l.value)
            .split(",")
            .map((s) => s.trim())
            .includes(x.trim()),
        )
      );
    case "distinct_hosts":
    case "distinct_property":
      return true; // handled by anti-affinity ranking, not modelled as a hard filter
    default:
      return false;
  }
}

/** Resources an alloc holds on its node. */
export function allocUsage(alloc) {
  const tasks = Object.values(alloc.AllocatedResources?.Tasks ?? {});
  return {
    cpu: tasks.reduce((s, t) => s + t.Cpu.CpuShares, 0),
    mem: tasks.reduce((s, t) => s + t.Memory.MemoryMB, 0),
    disk: alloc.AllocatedResources?.Shared?.DiskMB ?? 0,
    ports: (alloc.AllocatedResources?.Shared?.Ports ?? []).map((p) => p.Value),
  };
}

/**
 * Picks a node for one alloc of group `tg` of `job`; returns {node, ports} or null, filling `metric`.
 * `nodes` are the registered nodes, `nodeAllocs(id)` their live allocs, `rand` a random source.
 */
export function placeOne(job, tg, nodes, nodeAllocs, metric, rand = Math.random) {
  const inPool = nodes.filter((n) => n.info.NodePool === job.NodePool || job.NodePool === "all");
  metric.NodesInPool = inPool.length;
  const ready = inPool.filter(
    (n) => n.Status === "ready" && job.Datacenters.some((d) => globMatch(d, n.info.Datacenter)),
  );
  for (const n of ready)
    metric.NodesAvailable[n.info.Datacenter] = (metric.NodesAvailable[n.info.Datacenter] ?? 0) + 1;
  const constraints = [
    ...(job.Constraints ?? []),
    ...(tg.Constraints ?? []),
    ...tg.Tasks.flatMap((t) => t.Constraints ?? []),
  ];
  const need = {
    cpu: tg.Tasks.reduce((s, t) => s + t.Resources.CPU, 0),
    mem: tg.Tasks.reduce((s, t) => s + t.Resources.MemoryMB, 0),
    disk: tg.EphemeralDisk?.SizeMB ?? 0,
  };
  const candidates = [];
  for (const n of ready) {
    metric.NodesEvaluated++;
    const klass = n.info.NodeClass || "<none>";
    const missing = tg.Tasks.find((t) => {
      const d = n.info.Drivers?.[t.Driver];
      return !(d?.Detected && d?.Healthy);
    });
    if (missing) {
      metric.NodesFiltered++;
      bump(metric, "ClassFiltered", klass);
      bump(metric, "ConstraintFiltered", "missing drivers");
      continue;
    }
    const failed = constraints.find((c) => !constraintMet(c, n));
    if (failed) {
      metric.NodesFiltered++;
      bump(metric, "ClassFiltered", klass);
      bump(metric, "ConstraintFiltered", constraintString(failed));
      continue;
    }
    const used = { cpu: 0, mem: 0, disk: 0, ports: new Set() };
    for (const a of nodeAllocs(n.ID)) {
      const u = allocUsage(a);
      used.cpu += u.cpu;
      used.mem += u.mem;
      used.disk += u.disk;
      for (const p of u.ports) used.ports.add(p);
    }
    const cap = { cpu: n.info.cores * n.info.mhz, mem: n.info.memMB, disk: n.info.diskMB };
    const statics = (tg.Networks ?? []).flatMap((x) => x.ReservedPorts ?? []);
    const collide = statics.find((p) => used.ports.has(p.Value));
    let dim = null;
    if (used.cpu + need.cpu > cap.cpu) dim = "cpu";
    else if (used.mem + need.mem > cap.mem) dim = "memory";
    else if (used.disk + need.disk > cap.disk) dim = "disk";
    else if (collide) dim = `network: reserved port collision ${collide.Label}=${collide.Value}`;
    if (dim) {
      metric.NodesExhausted++;
      bump(metric, "ClassExhausted", klass);
      bump(metric, "DimensionExhausted", dim);
      continue;
    }
    const sameJob = nodeAllocs(n.ID).filter((a) => a.JobID === job.ID && a.TaskGroup === tg.Name).length;
    const free = (cap.cpu - used.cpu - need.cpu) / cap.cpu + (cap.mem - used.mem - need.mem) / cap.mem;
    candidates.push({ node: n, used, score: -sameJob * 10 - free });
  }
  if (!candidates.length) return null;
  candidates.sort((a, b) => b.score - a.score);
  const { node, used } = candidates[0];
  const ports = [];
  for (const net of tg.Networks ?? []) {
    for (const p of net.ReservedPorts ?? [])
      ports.push({ Label: p.Label, Value: p.Value, To: p.To, HostIP: node.info.Address });
    for (const p of net.DynamicPorts ?? []) {
      let v;
      do v = MIN_PORT + Math.floor(rand() * (MAX_PORT - MIN_PORT + 1));
      while (used.ports.has(v));
      used.ports.add(v);
      ports.push({ Label: p.Label, Value: v, To: p.To, HostIP: node.info.Address });
    }
  }
  return { node, ports };
}
