// `/v1/agent/keyring/<list|install|use|remove>` of np's Nomad TEST DOUBLE (NOT Nomad), after
// command/agent/agent_endpoint.go KeyringOperationRequest: servers only (a client agent: 501 "Invalid method"),
// agent:write for every operation, including list (aclPermissionCheckHelper: an authentication error is a 403
// with its text, a missing capability 403 "Permission denied"), any HTTP method, the op's body decoded for
// install/use/remove (400 on a bad body), then Serf's key query to every alive server; its error alone is the
// answer (500 "1/3 nodes reported failure"), else structs.KeyringResponse {Messages, Keys, NumNodes}.
// The double also logs each member's failure message by name (Nomad's HTTP answer drops them).
import { aclForToken, authenticate } from "./acl-auth.mjs";
import { decodeBase64, keyQuery } from "./keyring.mjs";
import { ApiError } from "./store.mjs";

/** The path of the double's internal key query on the serf port (the stand-in for Serf's `_serf_*-key`). */
export const KEY_QUERY_PATH = "/np-double/v1/keyring";
/** Serf's default query timeout on a small pool (GossipInterval * QueryTimeoutMult * ceil(log10(N+1))). */
const QUERY_TIMEOUT_MS = 8000;

/** command/agent/http.go decodeBody on Go's encoding/json: its error texts for an empty or malformed body. */
function decodeKeyRequest(body) {
  if (!String(body ?? "").trim()) throw new ApiError(400, "EOF");
  let v;
  try {
    v = JSON.parse(body);
  } catch {
    throw new ApiError(400, "invalid character looking for beginning of value");
  }
  if (v === null || typeof v !== "object" || Array.isArray(v))
    throw new ApiError(400, "json: cannot unmarshal into Go value of type structs.KeyringRequest");
  if (v.Key !== undefined && typeof v.Key !== "string")
    throw new ApiError(400, "json: cannot unmarshal into Go struct field KeyringRequest.Key of type string");
  return String(v.Key ?? "");
}

/** aclPermissionCheckHelper(srv, secret, AllowAgentWrite). */
function requireAgentWrite(agent, secret) {
  const { token, error } = authenticate(agent, secret);
  if (error) throw new ApiError(403, error);
  if (!aclForToken(agent, token).allowAgentWrite()) throw new ApiError(403, "Permission denied");
}

/** The members a key query reaches: every alive member of the servers' Serf pool, this one included. */
const aliveMembers = (agent) => [...agent.members.values()].filter((m) => agent.memberStatus(m) === "alive");

/** Sends the key query `op` (raw `key`) to every alive server and counts their answers. */
async function fanOut(agent, op, key) {
  const members = aliveMembers(agent);
  const query = { keyTag: agent.keyring.primaryTag(), from: agent.serfAddr, op, key: key.toString("base64") };
  const { resp, error } = await keyQuery(members, (m) =>
    m.key === agent.serfAddr
      ? agent.keyring.answer(op, key, agent.log)
      : agent.transport.postJson(m.key, KEY_QUERY_PATH, query, QUERY_TIMEOUT_MS),
  );
  for (const [name, msg] of Object.entries(resp.Messages))
    agent.log("ERROR", "nomad.keyring", `${op}-key query: ${name}: ${msg}`);
  if (error) throw new Error(error);
  return { Messages: resp.Messages, Keys: resp.Keys, NumNodes: resp.NumNodes };
}

/** The HTTP endpoint; `req` is the double's request ({method, path, body, token}). */
export async function keyringRoute(agent, req) {
  if (!agent.cfg.server.enabled) throw new ApiError(501, "Invalid method");
  requireAgentWrite(agent, req.token ?? "");
  const op = req.path.slice("/v1/agent/keyring/".length);
  if (!["list", "install", "use", "remove"].includes(op)) throw new ApiError(404, "resource not found");
  const key = op === "list" ? "" : decodeKeyRequest(req.body);
  const raw = decodeBase64(key);
  if (raw.error) throw new Error(raw.error);
  return fanOut(agent, op, raw.bytes);
}

/**
 * A key query from another server, on the serf port: refused like gossip unless its key is installed here (the
 * query is a Serf message, encrypted with the sender's primary key), else this member's answer.
 */
export function answerKeyQuery(agent, body) {
  if (!agent.keyring.accepts(body.keyTag)) return undefined;
  const raw = decodeBase64(String(body.key ?? ""));
  if (raw.error) return { Result: false, Message: raw.error };
  return agent.keyring.answer(String(body.op), raw.bytes, agent.log);
}
