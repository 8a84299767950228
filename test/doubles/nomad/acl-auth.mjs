// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): who a request is and what it may do. After
// command/agent/http.go (parseToken: X-Nomad-Token, else `Authorization: Bearer`; ResolveToken's "failed to
// resolve ACL token: " prefix; errCodeFromHandler's 403 for texts ending in "Permission denied" or "ACL token
// not found"), nomad/auth/auth.go (Authenticate: an unknown secret is ErrPermissionDenied, a non-UUID one a
// failed JWT; ResolveToken: ErrTokenNotFound), client/acl.go (clients resolve tokens through a server with
// ACL.WhoAmI and cache them for acl.token_ttl) and the per-RPC checks of nomad/*_endpoint.go listed in
// serverRule below.
import { ACLS_DISABLED, Acl, parsePolicy } from "./acl-policy.mjs";
import {
  ACLS_DISABLED_TOKEN,
  ANONYMOUS,
  isExpired,
  isUuid,
  PERMISSION_DENIED,
  TOKEN_EXPIRED,
  TOKEN_NOT_FOUND,
} from "./acl-store.mjs";
import { ApiError } from "./store.mjs";

// nomad/encrypter.go VerifyClaim on a secret that is neither a UUID nor a JWT (go-jose v4's text)
const BAD_JWT = "failed to parse signed token: go-jose/go-jose: compact JWS format must have three parts";

/** HTTPServer.parseToken. */
export function parseToken(headers) {
  const x = headers["x-nomad-token"];
  if (x && String(x).trim()) return String(x).trim();
  const auth = String(headers.authorization ?? "");
  const parts = auth.split(" ");
  if (parts.length > 1 && parts[0].toLowerCase() === "bearer")
    return parts.slice(1).join(" ").trim().split(" ")[0].trim();
  return "";
}

/** Authenticator.Authenticate on a server: {token} or {error} (callers mostly answer ErrPermissionDenied). */
export function authenticate(agent, secret) {
  if (!agent.cfg.acl.enabled) return { token: ACLS_DISABLED_TOKEN };
  if (!secret) return { token: ANONYMOUS };
  if (!isUuid(secret)) return { error: BAD_JWT };
  const token = agent.acl.bySecret(secret);
  if (!token) return { error: PERMISSION_DENIED };
  if (isExpired(token)) return { error: TOKEN_EXPIRED };
  return { token };
}

/** ResolveACL for an authenticated token. */
export function aclForToken(agent, token) {
  if (!agent.cfg.acl.enabled) return ACLS_DISABLED;
  return agent.acl.aclFor(token);
}

/** Authenticator.ResolveToken (servers): the ACL, or ErrTokenNotFound / ErrTokenExpired. */
export function serverResolveToken(agent, secret) {
  if (!agent.cfg.acl.enabled) return ACLS_DISABLED;
  const token = secret ? agent.acl.bySecret(secret) : ANONYMOUS;
  if (!token) throw new Error(TOKEN_NOT_FOUND);
  if (isExpired(token)) throw new Error(TOKEN_EXPIRED);
  return agent.acl.aclFor(token);
}

/** What a server answers a client's ACL.WhoAmI + ACL.GetPolicies (the double does both in one RPC). */
export function whoAmIForClient(agent, secret) {
  const { token, error } = authenticate(agent, secret);
  if (error) throw new Error(error);
  const policies = (token.Policies ?? [])
    .map((n) => agent.acl.policies.get(n)?.Rules)
    .filter((r) => r != null);
  return { token, policies };
}

/** Client.ResolveToken: asks a server (ACL.WhoAmI), caches the answer for acl.token_ttl. */
async function clientResolveToken(agent, secret) {
  if (!agent.cfg.acl.enabled) return ACLS_DISABLED;
  agent.aclCache ??= new Map();
  let hit = agent.aclCache.get(secret);
  if (!hit || Date.now() - hit.at > agent.cfg.acl.tokenTtlMs) {
    // an agent that is also a server asks itself (in-process RPC)
    const r = agent.cfg.server.enabled
      ? whoAmIForClient(agent, secret)
      : await agent.clientRpc("ACL.WhoAmI", { secret });
    hit = { at: Date.now(), ...r };
    agent.aclCache.set(secret, hit);
  }
  if (!hit.token) throw new Error(TOKEN_NOT_FOUND);
  if (isExpired(hit.token)) throw new Error(TOKEN_EXPIRED);
  if (hit.token.Type === "management") return new Acl(true);
  return new Acl(
    false,
    hit.policies.map((r) => parsePolicy(r)),
  );
}

/**
 * HTTPServer.ResolveToken: the server's resolution on servers, the client's elsewhere (`asClient`: the client's
 * even on a server, as client/fs_endpoint.go does); errors prefixed like Nomad.
 */
export async function resolveToken(agent, secret, { asClient = false } = {}) {
  try {
    return agent.cfg.server.enabled && !asClient
      ? serverResolveToken(agent, secret)
      : await clientResolveToken(agent, secret ?? "");
  } catch (e) {
    throw httpError(`failed to resolve ACL token: ${String(e.message).replace(/^rpc error: /, "")}`);
  }
}

/** errCodeFromHandler: texts ending in Nomad's ACL errors become 403 with the bare text; others 500. */
export function httpError(msg) {
  for (const t of [PERMISSION_DENIED, TOKEN_NOT_FOUND]) if (msg.endsWith(t)) return new ApiError(403, t);
  return new ApiError(500, msg);
}

const denied = () => new ApiError(403, PERMISSION_DENIED);
const ns = (req) => req.query.get("namespace") || "default";
const jobNs = (req) => {
  try {
    return JSON.parse(req.body || "{}").Job?.Namespace || ns(req);
  } catch {
    return ns(req);
  }
};
const readJob = (req) => (a) => a.allowNsAny(ns(req), "read-job");
const submitJob = (nsOf) => (req) => (a) => a.allowNsOp(nsOf(req), "submit-job");

/** The check each server RPC behind an HTTP endpoint makes (null: none; "after": made after validation). */
function serverRule(req) {
  const p = req.path;
  const m = req.method;
  if (/^\/v1\/status\/(leader|peers)$/.test(p)) return null; // Status.Leader / Status.Peers
  if (p === "/v1/agent/members" || p === "/v1/nodes") return (a) => a.allowNodeRead(); // Status.Members, Node.List
  if (/^\/v1\/node\/[^/]+\/allocations$/.test(p)) return (a) => a.allowNodeRead(); // Node.GetAllocs (+ filter)
  if (p.startsWith("/v1/node/")) return (a) => a.allowClientOp() || a.allowNodeRead(); // Node.GetNode
  if (p === "/v1/operator/raft/configuration") return (a) => a.isManagement(); // Operator.RaftGetConfiguration
  if (p.startsWith("/v1/operator/autopilot/"))
    return m === "GET" ? (a) => a.allowOperatorRead() : (a) => a.allowOperatorWrite();
  if (p === "/v1/jobs") return m === "GET" ? (a) => a.allowNsOp(ns(req), "list-jobs") : "after"; // Job.List/Register
  if (/^\/v1\/(allocations|evaluations|deployments)$/.test(p)) return readJob(req);
  if (p.startsWith("/v1/allocation/")) return "after"; // Alloc.GetAlloc checks the alloc's namespace
  if (p.startsWith("/v1/evaluation/") || p.startsWith("/v1/deployment/")) return readJob(req);
  const job =
    /^\/v1\/job\/(.+?)(?:\/(plan|revert|scale|evaluate|stable|summary|versions|allocations|evaluations|deployments|deployment|submission|services))?$/.exec(
      p,
    );
  if (job) {
    const sub = job[2];
    if (!sub) return m === "GET" ? readJob(req) : m === "DELETE" ? submitJob(ns)(req) : "after";
    if (sub === "plan") return "after"; // Job.Plan checks submit-job after its admission controllers
    if (sub === "scale")
      return m === "GET"
        ? (a) => a.allowNsAny(ns(req), "read-job", "read-job-scaling") // Job.ScaleStatus
        : (a) => a.allowNsAny(ns(req), "scale-job", "submit-job"); // Job.Scale
    if (["revert", "evaluate", "stable"].includes(sub)) return submitJob(ns)(req);
    return readJob(req);
  }
  return null;
}

/**
 * Runs the check of the RPC behind a server-side endpoint: an unknown or bad token and a missing capability
 * are both 403 "Permission denied" (the endpoints return ErrPermissionDenied for either). Sets req.acl for the
 * checks made later (register/plan after validation, alloc namespace, filters).
 */
export function authorizeServer(agent, req) {
  const rule = serverRule(req);
  if (!agent.cfg.acl.enabled) {
    req.acl = ACLS_DISABLED;
    return;
  }
  if (rule === null) return;
  const { token, error } = authenticate(agent, req.token);
  if (error) throw denied();
  req.acl = aclForToken(agent, token);
  if (rule === "after") {
    req.authorizeJob = (job) => authorizeRegister(req.acl, job, jobNs(req));
    return;
  }
  if (!rule(req.acl)) throw denied();
}

/** Job.Register / Job.Plan: submit-job, then what the job's volumes need (host_volume, csi). */
export function authorizeRegister(acl, job, namespace) {
  if (!acl.allowNsOp(namespace, "submit-job")) throw denied();
  for (const tg of job.TaskGroups ?? [])
    for (const vol of Object.values(tg.Volumes ?? {})) {
      if (vol.Type === "csi") {
        if (!acl.allowNsAny(namespace, "csi-mount-volume", "csi-write-volume")) throw denied();
      } else if (vol.Type === "host") {
        const rw = acl.allowHostVolumeOperation(vol.Source, "mount-readwrite");
        if (!(rw || (vol.ReadOnly && acl.allowHostVolumeOperation(vol.Source, "mount-readonly"))))
          throw denied();
      } else throw denied();
    }
}

/** Client-local endpoints: agent:read through the agent's own token resolution (agent_endpoint.go). */
export async function authorizeAgentRead(agent, req) {
  const acl = await resolveToken(agent, req.token);
  if (!acl.allowAgentRead()) throw denied();
}

/** FileSystem.Logs: read-logs or read-fs in the alloc's namespace; a denial streams back as a 500. */
export function logsAllowed(acl, namespace) {
  return acl.allowNsAny(namespace, "read-fs", "read-logs");
}
