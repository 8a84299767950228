import { randomUUID } from "node:crypto";
import type { HostSpec, Inventory } from "../../inventory/index.js";
import { hclString } from "../../render/hcl.js";
import type { SecretSpec } from "../../secrets/index.js";

/** Whether a value is a Nomad ACL token's SecretID (a UUID, helper.IsUUID). */
export const isNomadSecret = (v: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v);

const DESCRIBE = "a Nomad ACL token (a UUID)";

/**
 * The management token. Nomad's bootstrap takes the caller's SecretID (`BootstrapSecret`, a UUID), so np makes it
 * and saves it in .np/secrets before the bootstrap: a run interrupted between the two finds the same secret, and
 * Nomad never holds a management token np has not saved.
 */
export const NOMAD_MANAGEMENT: SecretSpec = {
  name: "nomad-management",
  generate: randomUUID,
  valid: isNomadSecret,
  describe: DESCRIBE,
};

/** The names of the other token secrets in .np/secrets. */
export const NOMAD_TOKEN = {
  /** np deploy · status APP · logs · scale · stop · rollback. */
  apps: "nomad-apps",
  /** np-agent on a client host (it reads that node's allocations). */
  npAgent: (host: string) => `nomad-np-agent-${host}`,
} as const;

/** A Nomad ACL policy np keeps (by name). */
export interface NomadPolicy {
  name: string;
  description: string;
  rules: string;
}

/** A client token np keeps: its SecretID is in the named secret, its Name says whose it is. */
export interface NomadToken {
  secret: string;
  name: string;
  policies: string[];
}

/** Whether np-agent on the host reads Nomad (it reads its node's allocations, so only where a client runs). */
export const agentReadsNomad = (host: HostSpec) => host.roles.includes("client");

const namespaceRule = (namespace: string, capabilities: string[]) =>
  `namespace ${hclString(namespace)} {\n  capabilities = [${capabilities.map(hclString).join(", ")}]\n}\n`;
const NODE_READ = 'node {\n  policy = "read"\n}\n';

/**
 * What the app commands call, and the capability Nomad checks for each (acl/policy.go; nomad/*_endpoint.go):
 * - list-jobs: GET /v1/jobs (Job.List; np status's app list);
 * - read-job: the job, its versions, evaluations, allocations and deployments (Job.GetJob, GetJobVersions,
 *   Evaluations, Allocations, Deployments, LatestDeployment; Eval.GetEval; Deployment.GetDeployment);
 * - submit-job: plan, register, revert, stop (Job.Plan, Register, Revert, Deregister) and scale (Job.Scale takes
 *   scale-job or submit-job: with submit-job already granted, scale-job would add nothing);
 * - read-logs: GET /v1/client/fs/logs (ClientFS.Logs takes read-logs or read-fs; read-fs would also read files);
 * - node read: GET /v1/nodes (Node.List), np deploy's check that a client has the app's driver.
 * Apps live in Nomad's `default` namespace (np.yaml has no namespace).
 */
const APPS_POLICY: NomadPolicy = {
  name: "np-apps",
  description: "np's app commands: deploy, status, logs, scale, stop, rollback",
  rules: `${namespaceRule("default", ["list-jobs", "read-job", "submit-job", "read-logs"])}\n${NODE_READ}`,
};

/**
 * np-agent reads GET /v1/node/<its node>/allocations: Node.GetAllocs needs node read, then keeps only the
 * allocations whose namespace grants read-job (any namespace: the node runs them all). Nothing else.
 */
const AGENT_POLICY: NomadPolicy = {
  name: "np-agent",
  description: "np-agent: read its node's allocations",
  rules: `${namespaceRule("*", ["read-job"])}\n${NODE_READ}`,
};

/**
 * The least-privilege policies and client tokens np keeps in Nomad: one token for the app commands, one per
 * client host for its np-agent. Management (the bootstrap token) is np's own, for `np up` and `np status`.
 */
export function nomadAcl(inv: Inventory): { policies: NomadPolicy[]; tokens: NomadToken[] } {
  const agents = inv.hosts.filter(agentReadsNomad);
  const tokens: NomadToken[] = [
    { secret: NOMAD_TOKEN.apps, name: "np: app commands", policies: [APPS_POLICY.name] },
    ...agents.map((h) => ({
      secret: NOMAD_TOKEN.npAgent(h.name),
      name: `np: np-agent on ${h.name}`,
      policies: [AGENT_POLICY.name],
    })),
  ];
  return { policies: agents.length > 0 ? [APPS_POLICY, AGENT_POLICY] : [APPS_POLICY], tokens };
}

/**
 * The token secrets the inventory needs. Only the management one is made by np: Nomad makes a client token's
 * SecretID itself (structs.ACLToken.Canonicalize ignores the caller's), so the others are saved when Nomad hands
 * them out, and are absent until then.
 */
export const nomadTokenSecrets = (inv: Inventory): SecretSpec[] => [
  NOMAD_MANAGEMENT,
  ...nomadAcl(inv).tokens.map((t) => ({ name: t.secret, valid: isNomadSecret, describe: DESCRIBE })),
];
