// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): ACL policy rules and their evaluation, after
// acl/policy.go (Parse: namespace/node_pool/host_volume blocks, agent/node/operator/quota/plugin policies,
// capability names, the shorthand expansions, the error texts) and acl/acl.go (NewACL: union of capabilities,
// deny wins, glob namespaces with the closest match; AllowNsOp, AllowAgentRead, AllowNodeRead, ...).
import { isObj, parseHcl } from "./hcl.mjs";

const NS_READ = [
  "list-jobs",
  "parse-job",
  "read-job",
  "csi-list-volume",
  "csi-read-volume",
  "read-job-scaling",
  "list-scaling-policies",
  "read-scaling-policy",
  "host-volume-read",
];
const NS_WRITE = [
  ...NS_READ,
  "scale-job",
  "submit-job",
  "dispatch-job",
  "read-logs",
  "read-fs",
  "alloc-exec",
  "alloc-lifecycle",
  "csi-mount-volume",
  "csi-write-volume",
  "submit-recommendation",
  "host-volume-create",
];
const NS_SCALE = ["list-scaling-policies", "read-scaling-policy", "read-job-scaling", "scale-job"];
/** acl/policy.go isNamespaceCapabilityValid. */
const NS_CAPS = new Set([
  "deny",
  ...NS_WRITE,
  "alloc-node-exec",
  "csi-register-plugin",
  "host-volume-register",
  "host-volume-write",
  "sentinel-override",
]);
const expandNs = (p) => ({ deny: ["deny"], read: NS_READ, write: NS_WRITE, scale: NS_SCALE })[p] ?? [];
/** acl/policy.go expandNamespaceCapabilities: host volume capabilities imply others. */
const IMPLIED = {
  "host-volume-write": [
    "host-volume-register",
    "host-volume-create",
    "host-volume-delete",
    "host-volume-read",
  ],
  "host-volume-register": ["host-volume-create", "host-volume-read"],
  "host-volume-create": ["host-volume-read"],
};
const POOL_CAPS = new Set(["delete", "deny", "read", "write"]);
const expandPool = (p) => ({ deny: ["deny"], read: ["read"], write: ["delete", "read", "write"] })[p] ?? [];
const HV_CAPS = new Set(["deny", "mount-readonly", "mount-readwrite"]);
const expandHv = (p) =>
  ({ deny: ["deny"], read: ["mount-readonly"], write: ["mount-readonly", "mount-readwrite"] })[p] ?? [];
const isPolicyValid = (p) => ["deny", "read", "write", "scale"].includes(p);

// Go's %#v of the structs named in Parse's errors.
const goStr = (s) => JSON.stringify(s);
const goList = (l) => (l == null ? "[]string(nil)" : `[]string{${l.map(goStr).join(", ")}}`);
const nsV = (n) =>
  `&acl.NamespacePolicy{Name:${goStr(n.Name)}, Policy:${goStr(n.Policy)}, Capabilities:${goList(n.Capabilities)}, Variables:(*acl.VariablesPolicy)(nil)}`;
const hvV = (h) =>
  `&acl.HostVolumePolicy{Name:${goStr(h.Name)}, Policy:${goStr(h.Policy)}, Capabilities:${goList(h.Capabilities)}}`;
const simpleV = (type, p) => `&acl.${type}{Policy:${goStr(p.Policy)}}`;

/** Reads HCL or JSON rules into {block: {label: body}} (the shape parseHcl gives for labelled blocks). */
function readRules(rules) {
  const text = rules.trim();
  if (!text.startsWith("{")) return parseHcl(rules, "policy");
  const fold = (v) =>
    Array.isArray(v) && v.every(isObj)
      ? Object.assign({}, ...v.map(fold))
      : isObj(v)
        ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fold(x)]))
        : v;
  return fold(JSON.parse(text));
}

const caps = (v) => (Array.isArray(v) ? v.map(String) : null);
/** Labelled blocks (`namespace "x" {}`); a block without a label shows up as attributes: Name "". */
function labelled(block) {
  if (!isObj(block)) return [];
  const entries = Object.entries(block);
  if (entries.some(([, v]) => !isObj(v))) return [["", block]];
  return entries;
}

/** acl.Parse: the policy (acl.Policy, as RulesJSON shows it) or an Error with Nomad's text. */
export function parsePolicy(rules) {
  const p = {
    Namespaces: null,
    NodePools: null,
    HostVolumes: null,
    Agent: null,
    Node: null,
    Operator: null,
    Quota: null,
    Plugin: null,
    Raw: rules,
  };
  if (rules === "") return p;
  let raw;
  try {
    raw = readRules(rules);
  } catch (e) {
    throw new Error(`Failed to parse ACL Policy: ${e.message}`);
  }
  const ns = labelled(raw.namespace).map(([Name, b]) => ({
    Name,
    Policy: String(b.policy ?? ""),
    Capabilities: caps(b.capabilities),
    Variables: null,
  }));
  const pools = labelled(raw.node_pool).map(([Name, b]) => ({
    Name,
    Policy: String(b.policy ?? ""),
    Capabilities: caps(b.capabilities),
  }));
  const hvs = labelled(raw.host_volume).map(([Name, b]) => ({
    Name,
    Policy: String(b.policy ?? ""),
    Capabilities: caps(b.capabilities),
  }));
  const simple = (k) => (isObj(raw[k]) ? { Policy: String(raw[k].policy ?? "") } : null);
  Object.assign(p, {
    Namespaces: ns.length ? ns : null,
    NodePools: pools.length ? pools : null,
    HostVolumes: hvs.length ? hvs : null,
    Agent: simple("agent"),
    Node: simple("node"),
    Operator: simple("operator"),
    Quota: simple("quota"),
    Plugin: simple("plugin"),
  });
  const { Namespaces, NodePools, HostVolumes, Agent, Node, Operator, Quota, Plugin } = p;
  if (!Namespaces && !NodePools && !HostVolumes && !Agent && !Node && !Operator && !Quota && !Plugin)
    throw new Error(`Invalid policy: ${rules}`);
  for (const n of ns) {
    if (!/^[a-zA-Z0-9-*]{1,128}$/.test(n.Name)) throw new Error(`Invalid namespace name: ${nsV(n)}`);
    if (n.Policy && !isPolicyValid(n.Policy)) throw new Error(`Invalid namespace policy: ${nsV(n)}`);
    for (const c of n.Capabilities ?? [])
      if (!NS_CAPS.has(c)) throw new Error(`Invalid namespace capability '${c}': ${nsV(n)}`);
    const all = [...(n.Capabilities ?? []), ...expandNs(n.Policy)];
    const implied = all.flatMap((c) => IMPLIED[c] ?? []);
    n.Capabilities = all.length || implied.length ? [...all, ...implied] : null;
  }
  for (const n of pools) {
    if (!/^[a-zA-Z0-9-_*]{1,128}$/.test(n.Name)) throw new Error(`Invalid node pool name '${n.Name}'`);
    if (n.Policy && !isPolicyValid(n.Policy))
      throw new Error(`Invalid node pool policy '${n.Policy}' for '${n.Name}'`);
    for (const c of n.Capabilities ?? [])
      if (!POOL_CAPS.has(c)) throw new Error(`Invalid node pool capability '${c}' for '${n.Name}'`);
    const all = [...(n.Capabilities ?? []), ...expandPool(n.Policy)];
    n.Capabilities = all.length ? all : null;
  }
  for (const h of hvs) {
    if (!/^[a-zA-Z0-9-*]{1,128}$/.test(h.Name)) throw new Error(`Invalid host volume name: ${hvV(h)}`);
    if (h.Policy && !isPolicyValid(h.Policy)) throw new Error(`Invalid host volume policy: ${hvV(h)}`);
    for (const c of h.Capabilities ?? [])
      if (!HV_CAPS.has(c)) throw new Error(`Invalid host volume capability '${c}': ${hvV(h)}`);
    const all = [...(h.Capabilities ?? []), ...expandHv(h.Policy)];
    h.Capabilities = all.length ? all : null;
  }
  for (const [k, type] of [
    ["Agent", "AgentPolicy"],
    ["Node", "NodePolicy"],
    ["Operator", "OperatorPolicy"],
    ["Quota", "QuotaPolicy"],
  ])
    if (p[k] && !isPolicyValid(p[k].Policy))
      throw new Error(`Invalid ${k.toLowerCase()} policy: ${simpleV(type, p[k])}`);
  if (Plugin && !["deny", "read", "list", "write"].includes(Plugin.Policy))
    throw new Error(`Invalid plugin policy: ${simpleV("PluginPolicy", Plugin)}`);
  return p;
}

/** github.com/ryanuber/go-glob Glob: `*` matches any run of characters. */
function glob(pattern, subj) {
  const re = new RegExp(
    `^${pattern
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
  return re.test(subj);
}

/** acl/acl.go maxPrivilege: deny > write > read > list. */
const maxPrivilege = (a, b) => ["deny", "write", "read", "list"].find((x) => a === x || b === x) ?? "";

/** A compiled ACL (acl.NewACL) with the checks Nomad's endpoints call. */
export class Acl {
  constructor(management, policies = []) {
    this.management = management;
    this.ns = new Map();
    this.hv = new Map();
    this.pools = new Map();
    for (const k of ["agent", "node", "operator", "quota", "plugin"]) this[k] = "";
    for (const p of policies) {
      for (const [list, map] of [
        [p.Namespaces, this.ns],
        [p.NodePools, this.pools],
        [p.HostVolumes, this.hv],
      ])
        for (const n of list ?? []) {
          const set = map.get(n.Name) ?? new Set();
          map.set(n.Name, set);
          if (set.has("deny")) continue;
          for (const c of n.Capabilities ?? []) {
            if (c === "deny") {
              set.clear();
              set.add("deny");
              break;
            }
            set.add(c);
          }
        }
      this.agent = p.Agent ? maxPrivilege(this.agent, p.Agent.Policy) : this.agent;
      this.node = p.Node ? maxPrivilege(this.node, p.Node.Policy) : this.node;
      this.operator = p.Operator ? maxPrivilege(this.operator, p.Operator.Policy) : this.operator;
      this.quota = p.Quota ? maxPrivilege(this.quota, p.Quota.Policy) : this.quota;
      this.plugin = p.Plugin ? maxPrivilege(this.plugin, p.Plugin.Policy) : this.plugin;
    }
  }
  /** matchingNamespaceCapabilitySet / findClosestMatchingGlob. */
  static match(map, name) {
    const exact = [...map.keys()].find((k) => !k.includes("*") && k === name);
    if (exact !== undefined) return map.get(exact);
    const globs = [...map.keys()]
      .filter((k) => k.includes("*") && glob(k, name))
      .map((k) => ({ k, diff: name.length - k.length + (k.match(/\*/g) ?? []).length }))
      .sort((a, b) => a.diff - b.diff);
    return globs.length ? map.get(globs[0].k) : null;
  }
  allowNsOp(ns, op) {
    if (this.management) return true;
    if (ns === "*" && [...this.ns.values()].some((s) => s.has(op))) return true;
    return Acl.match(this.ns, ns)?.has(op) === true;
  }
  /** acl.NamespaceValidator: any of the capabilities. */
  allowNsAny(ns, ...ops) {
    return ops.some((op) => this.allowNsOp(ns, op));
  }
  allowHostVolumeOperation(name, op) {
    if (this.management) return true;
    return Acl.match(this.hv, name)?.has(op) === true;
  }
  read(level) {
    return this.management || level === "write" || level === "read";
  }
  allowAgentRead() {
    return this.read(this.agent);
  }
  allowAgentWrite() {
    return this.management || this.agent === "write";
  }
  allowNodeRead() {
    return this.read(this.node);
  }
  allowNodeWrite() {
    return this.management || this.node === "write";
  }
  allowOperatorRead() {
    return this.read(this.operator);
  }
  allowOperatorWrite() {
    return this.management || this.operator === "write";
  }
  /** User tokens never carry the client/server virtual policies (acl/virtual.go). */
  allowClientOp() {
    return false;
  }
  isManagement() {
    return this.management;
  }
}

/** acl.ACLsDisabledACL: everything allowed. */
export const ACLS_DISABLED = new Acl(true);
