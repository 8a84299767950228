// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the /v1/acl HTTP API for tokens and policies, after
// command/agent/acl_endpoint.go (routes, methods, "Missing Policy Name", "ACL policy not found", 404/400 texts)
// and nomad/acl_endpoint.go (Bootstrap, ListPolicies, GetPolicy, UpsertPolicies, DeletePolicies, ListTokens,
// GetToken, UpsertTokens, DeleteTokens, WhoAmI: who may call what and with which error). Roles, auth methods,
// binding rules, login and one-time tokens are answered 501.
import fs from "node:fs";
import path from "node:path";
import { aclForToken, authenticate, httpError } from "./acl-auth.mjs";
import { parsePolicy } from "./acl-policy.mjs";
import {
  ANONYMOUS,
  isUuid,
  PERMISSION_DENIED,
  policyStub,
  TOKEN_NOT_FOUND,
  tokenStub,
} from "./acl-store.mjs";
import { decodeBody } from "./api.mjs";
import { ApiError } from "./store.mjs";

const json = (body, headers = {}) => ({ status: 200, headers, body, json: true });
const INVALID_METHOD = "Invalid method";
const aclDisabled = () => new ApiError(400, "ACL support disabled"); // nomad/acl_endpoint.go aclDisabled
const denied = () => new ApiError(403, PERMISSION_DENIED);
const isWrite = (m) => m === "PUT" || m === "POST";

/** data_dir/acl-bootstrap-reset (ACL.fileBootstrapResetIndex): the reset index an operator wrote, or 0. */
function resetFileIndex(agent) {
  const file = path.join(agent.cfg.dataDir, "acl-bootstrap-reset");
  try {
    const n = Number.parseInt(fs.readFileSync(file, "utf8"), 10);
    if (!Number.isFinite(n)) return 0;
    agent.log("WARN", "nomad.acl", "bootstrap file parsed", { path: file, reset_index: n });
    return n;
  } catch {
    return 0;
  }
}

/** Authenticate + ResolveACL, returning ErrPermissionDenied for a bad token (most ACL RPCs). */
function caller(agent, req) {
  const { token, error } = authenticate(agent, req.token);
  if (error) throw denied();
  return { token, acl: aclForToken(agent, token) };
}
const mustManage = (agent, req) => {
  const c = caller(agent, req);
  if (!c.acl.isManagement()) throw denied();
  return c;
};

/** Answers one /v1/acl/... request on the server that owns the state (the leader, or any with ?stale). */
export async function aclRoute(agent, req) {
  const { method } = req;
  const p = req.path;
  const enabled = agent.cfg.acl.enabled;
  const store = agent.acl;
  const read = async (table, fn) => {
    await agent.block(req, () => store.tableIndex(table));
    return fn({ ...agent.queryMeta(), "X-Nomad-Index": String(store.tableIndex(table)) });
  };
  const index = (i) => ({ status: 200, headers: { "X-Nomad-Index": String(i) } });

  if (p === "/v1/acl/bootstrap") {
    if (!isWrite(method)) throw new ApiError(405, INVALID_METHOD);
    let secret = "";
    if (req.body) {
      try {
        secret = String(JSON.parse(req.body)?.BootstrapSecret ?? "");
      } catch (e) {
        throw new ApiError(400, `failed to decode request body: ${e.message}`);
      }
    }
    if (!enabled) throw aclDisabled();
    const { token, index: i } = store.bootstrap(secret, store.bootstrapIndex ? resetFileIndex(agent) : 0);
    return json(token, { "X-Nomad-Index": String(i) });
  }
  if (p === "/v1/acl/policies") {
    if (method !== "GET") throw new ApiError(405, INVALID_METHOD);
    return listPolicies(agent, req, read);
  }
  if (p.startsWith("/v1/acl/policy/")) {
    if (p === "/v1/acl/policy/self") {
      if (method !== "GET") throw new ApiError(405, INVALID_METHOD);
      // aclSelfPolicy: a non-UUID bearer (anonymous included) is taken for a workload identity, which it is not
      if (!isUuid(req.token)) throw denied();
      return listPolicies(agent, req, read);
    }
    const name = decodeURIComponent(p.slice("/v1/acl/policy/".length));
    if (!name) throw new ApiError(400, "Missing Policy Name");
    if (method === "GET") {
      if (!enabled) throw aclDisabled();
      const { token, acl } = caller(agent, req);
      if (!acl.isManagement() && name !== "anonymous" && !(token.Policies ?? []).includes(name))
        throw denied();
      await agent.block(req, () => store.policies.get(name)?.ModifyIndex ?? store.tableIndex("acl_policy"));
      const pol = store.policies.get(name);
      const meta = {
        ...agent.queryMeta(),
        "X-Nomad-Index": String(pol?.ModifyIndex ?? store.tableIndex("acl_policy")),
      };
      if (!pol) return { status: 404, headers: meta, text: "ACL policy not found" };
      const { Name, Description, Rules, JobACL, Hash, CreateIndex, ModifyIndex } = pol;
      const RulesJSON = parsePolicy(Rules);
      return json({ Name, Description, Rules, RulesJSON, JobACL, Hash, CreateIndex, ModifyIndex }, meta);
    }
    if (isWrite(method)) {
      const b = decodeBody(req);
      if (String(b.name ?? "") !== name)
        throw new ApiError(400, "ACL policy name does not match request path");
      if (!enabled) throw aclDisabled();
      mustManage(agent, req);
      return index(store.upsertPolicy(b));
    }
    if (method === "DELETE") {
      if (!enabled) throw aclDisabled();
      mustManage(agent, req);
      return index(store.deletePolicy(name));
    }
    throw new ApiError(405, INVALID_METHOD);
  }
  if (p === "/v1/acl/tokens") {
    if (method !== "GET") throw new ApiError(405, INVALID_METHOD);
    if (!enabled) throw aclDisabled();
    mustManage(agent, req);
    const prefix = req.query.get("prefix") ?? "";
    return read("acl_token", (meta) => {
      const list = [...store.tokens.values()]
        .filter((t) => t.AccessorID.startsWith(prefix))
        .sort((a, b) =>
          prefix
            ? a.AccessorID < b.AccessorID
              ? -1
              : 1
            : a.CreateIndex - b.CreateIndex || (a.AccessorID < b.AccessorID ? -1 : 1),
        );
      return json(list.map(tokenStub), meta);
    });
  }
  if (p === "/v1/acl/token" || p === "/v1/acl/token/self" || p.startsWith("/v1/acl/token/")) {
    if (p === "/v1/acl/token") {
      if (!isWrite(method)) throw new ApiError(405, INVALID_METHOD);
      return upsertToken(agent, req, "");
    }
    if (p === "/v1/acl/token/self") return whoAmI(agent, req);
    const accessor = p.slice("/v1/acl/token/".length);
    if (accessor.startsWith("onetime"))
      throw new ApiError(501, `np's Nomad test double does not implement ${method} ${p}`);
    if (!accessor) throw new ApiError(400, "Missing Token Accessor");
    if (method === "GET") return getToken(agent, req, accessor);
    if (isWrite(method)) return upsertToken(agent, req, accessor);
    if (method === "DELETE") {
      if (!enabled) throw aclDisabled();
      mustManage(agent, req);
      return index(store.deleteToken(accessor));
    }
    throw new ApiError(405, INVALID_METHOD);
  }
  throw new ApiError(501, `np's Nomad test double does not implement ${method} ${p}`);
}

/** ACL.ListPolicies: management sees all, other tokens their own policies (anonymous: "anonymous"). */
function listPolicies(agent, req, read) {
  if (!agent.cfg.acl.enabled) throw aclDisabled();
  const { token, acl } = caller(agent, req);
  const mine = new Set(token.Policies ?? []);
  const prefix = req.query.get("prefix") ?? "";
  return read("acl_policy", (meta) =>
    json(
      [...agent.acl.policies.values()]
        .filter((x) => x.Name.startsWith(prefix) && (acl.isManagement() || mine.has(x.Name)))
        .sort((a, b) => (a.Name < b.Name ? -1 : 1))
        .map(policyStub),
      meta,
    ),
  );
}

/** ACL.UpsertTokens (create when the accessor is empty). */
function upsertToken(agent, req, accessor) {
  const b = decodeBody(req);
  if (accessor && String(b.accessorid ?? "") !== accessor)
    throw new ApiError(400, "ACL token accessor does not match request path");
  if (!agent.cfg.acl.enabled) throw aclDisabled();
  mustManage(agent, req);
  const { acl } = agent.cfg;
  const { token, index } = agent.acl.upsertToken(b, {
    minTtlNs: acl.tokenMinExpirationMs * 1e6,
    maxTtlNs: acl.tokenMaxExpirationMs * 1e6,
  });
  return json(token, { "X-Nomad-Index": String(index) });
}

/** ACL.GetToken: management, or the token itself; an unknown accessor is 404 for management only. */
async function getToken(agent, req, accessor) {
  if (!agent.cfg.acl.enabled) throw aclDisabled();
  const { error, token } = authenticate(agent, req.token);
  if (error) throw httpError(error); // GetToken returns authErr itself
  const acl = aclForToken(agent, token);
  const store = agent.acl;
  await agent.block(req, () => store.tokens.get(accessor)?.ModifyIndex ?? store.tableIndex("acl_token"));
  const out = store.tokens.get(accessor);
  if (!out && !acl.isManagement()) throw denied();
  if (out && !acl.isManagement() && out.SecretID !== req.token) throw denied();
  const meta = {
    ...agent.queryMeta(),
    "X-Nomad-Index": String(out?.ModifyIndex ?? store.tableIndex("acl_token")),
  };
  if (!out) return { status: 404, headers: meta, text: TOKEN_NOT_FOUND };
  return json(out, meta);
}

/** ACL.WhoAmI: the caller's token (the anonymous one, or "ACLs disabled token" when ACLs are off). */
function whoAmI(agent, req) {
  if (req.method !== "GET") throw new ApiError(405, INVALID_METHOD);
  const { error, token } = authenticate(agent, req.token);
  if (error) throw httpError(error);
  const meta = { ...agent.queryMeta(), "X-Nomad-Index": String(token === ANONYMOUS ? 0 : token.ModifyIndex) };
  return json(token, meta);
}
