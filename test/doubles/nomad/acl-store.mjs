// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the leader's ACL state (policies, tokens, the bootstrap
// reset index), with the write paths of nomad/acl_endpoint.go (Bootstrap, UpsertPolicies, DeletePolicies,
// UpsertTokens, DeleteTokens: their validation texts) and the state store's rules (nomad/state/state_store.go:
// CreateIndex kept and SecretID/CreateTime never changed on update; "acl_token_bootstrap" index = reset index).
// Kept in data_dir/server/np-double-acl.json and shipped by the leader to followers with gossip, like jobs.
import { randomUUID } from "node:crypto";
import { Acl, parsePolicy } from "./acl-policy.mjs";
import { blake2b } from "./blake2b.mjs";
import { ApiError } from "./store.mjs";

export const PERMISSION_DENIED = "Permission denied"; // structs.ErrPermissionDenied
export const TOKEN_NOT_FOUND = "ACL token not found"; // structs.ErrTokenNotFound
export const TOKEN_EXPIRED = "ACL token expired"; // structs.ErrTokenExpired
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/; // helper.IsUUID
export const isUuid = (s) => UUID.test(s);

/** structs.AnonymousACLToken and structs.ACLsDisabledToken, as the API shows them. */
const builtin = (AccessorID, Name, Policies) => ({
  AccessorID,
  SecretID: "",
  Name,
  Type: "client",
  Policies,
  Roles: null,
  Global: false,
  Hash: null,
  CreateTime: "0001-01-01T00:00:00Z",
  ExpirationTime: null,
  ExpirationTTL: 0,
  CreateIndex: 0,
  ModifyIndex: 0,
});
export const ANONYMOUS = builtin("anonymous", "Anonymous Token", ["anonymous"]);
export const ACLS_DISABLED_TOKEN = builtin("acls-disabled", "ACLs disabled token", null);

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed). */
export function goTime(ms, extraNs = 0) {
  const iso = new Date(ms).toISOString();
  const frac = `${iso.slice(20, 23)}${String(extraNs).padStart(6, "0")}`.replace(/0+$/, "");
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ""}Z`;
}
const now = () => goTime(Date.now(), Number(process.hrtime.bigint() % 1000000n));
/** go-multierror's text, as Nomad's Validate methods return it. */
const multi = (errs) =>
  `${errs.length} error${errs.length === 1 ? "" : "s"} occurred:\n${errs.map((e) => `\t* ${e}`).join("\n")}\n\n`;

/** ACLToken.SetHash (name, type, policies, global|local, role IDs) as base64, like Go's []byte in JSON. */
function tokenHash(t) {
  const parts = [t.Name, t.Type, ...(t.Policies ?? []), t.Global ? "global" : "local"];
  return blake2b(Buffer.concat(parts.map((s) => Buffer.from(s)))).toString("base64");
}
const policyHash = (p) => blake2b(Buffer.from(`${p.Name}${p.Description}${p.Rules}`)).toString("base64");

/** Parses a Go duration given as a string ("1h") or nanoseconds; returns ns or null. */
function durationNs(v, parse) {
  if (v == null || v === "" || v === 0) return 0;
  if (typeof v === "number") return v;
  const ms = parse(String(v));
  return ms == null ? null : Math.round(ms * 1e6);
}

export class AclStore {
  /** `fsm` is the agent's replicated state ({index}); `onChange` persists and wakes blocking queries. */
  constructor(fsm, onChange, parseDuration) {
    this.fsm = fsm;
    this.onChange = onChange;
    this.parseDuration = parseDuration;
    this.policies = new Map();
    this.tokens = new Map(); // accessor -> token
    this.bootstrapIndex = 0;
    this.tables = {};
  }
  toJSON() {
    return {
      policies: [...this.policies.values()],
      tokens: [...this.tokens.values()],
      bootstrapIndex: this.bootstrapIndex,
      tables: this.tables,
    };
  }
  load(s) {
    if (!s) return;
    this.policies = new Map((s.policies ?? []).map((p) => [p.Name, p]));
    this.tokens = new Map((s.tokens ?? []).map((t) => [t.AccessorID, t]));
    this.bootstrapIndex = s.bootstrapIndex ?? 0;
    this.tables = s.tables ?? {};
  }
  write(table) {
    const i = ++this.fsm.index;
    this.tables[table] = i;
    return i;
  }
  tableIndex(table) {
    return Math.max(1, this.tables[table] ?? 0);
  }
  bySecret(secret) {
    for (const t of this.tokens.values()) if (t.SecretID === secret) return t;
    return null;
  }

  /** ACL.Bootstrap: once, unless data_dir/acl-bootstrap-reset names the current reset index. */
  bootstrap(secret, resetFileIndex) {
    if (this.bootstrapIndex) {
      if (!resetFileIndex)
        throw new ApiError(400, `ACL bootstrap already done (reset index: ${this.bootstrapIndex})`);
      if (resetFileIndex !== this.bootstrapIndex)
        throw new ApiError(
          400,
          `Invalid bootstrap reset index (specified ${resetFileIndex}, reset index: ${this.bootstrapIndex})`,
        );
    }
    if (secret && !isUuid(secret)) throw new ApiError(400, "invalid acl token");
    const index = this.write("acl_token");
    this.bootstrapIndex = index;
    const token = {
      AccessorID: randomUUID(),
      SecretID: secret || randomUUID(),
      Name: "Bootstrap Token",
      Type: "management",
      Policies: null,
      Roles: null,
      Global: true,
      Hash: null,
      CreateTime: now(),
      ExpirationTime: null,
      ExpirationTTL: 0,
      CreateIndex: index,
      ModifyIndex: index,
    };
    token.Hash = tokenHash(token);
    this.tokens.set(token.AccessorID, token);
    this.onChange();
    return { token, index };
  }

  /** ACL.UpsertPolicies (one policy per HTTP request). */
  upsertPolicy(body) {
    const p = {
      Name: String(body.name ?? ""),
      Description: String(body.description ?? ""),
      Rules: String(body.rules ?? ""),
      JobACL: body.jobacl ?? null,
    };
    const errs = [];
    if (!/^[a-zA-Z0-9-]{1,128}$/.test(p.Name)) errs.push(`invalid name '${p.Name}'`);
    try {
      parsePolicy(p.Rules);
    } catch (e) {
      errs.push(`failed to parse rules: ${e.message}`);
    }
    if (p.Description.length > 256) errs.push("description longer than 256");
    if (errs.length) throw new ApiError(400, `policy 0 invalid: ${multi(errs)}`);
    const index = this.write("acl_policy");
    const existing = this.policies.get(p.Name);
    this.policies.set(p.Name, {
      ...p,
      Hash: policyHash(p),
      CreateIndex: existing?.CreateIndex ?? index,
      ModifyIndex: index,
    });
    this.onChange();
    return index;
  }
  deletePolicy(name) {
    const index = this.write("acl_policy");
    this.policies.delete(name);
    this.onChange();
    return index;
  }

  /** ACL.UpsertTokens: Canonicalize, Validate (min/max expiration TTLs in ns), state store rules. */
  upsertToken(body, { minTtlNs, maxTtlNs }) {
    const accessor = String(body.accessorid ?? "");
    const existing = accessor ? this.tokens.get(accessor) : null;
    if (accessor && !existing) throw new ApiError(400, `cannot find token ${accessor}`);
    if (body.roles?.length) throw new ApiError(501, "np's Nomad test double does not model ACL roles");
    const ttl = durationNs(body.expirationttl, this.parseDuration);
    if (ttl === null)
      throw new ApiError(400, `time: invalid duration ${JSON.stringify(String(body.expirationttl))}`);
    const t = {
      AccessorID: accessor || randomUUID(),
      SecretID: existing?.SecretID ?? randomUUID(),
      Name: String(body.name ?? ""),
      Type: String(body.type ?? ""),
      Policies: Array.isArray(body.policies) && body.policies.length ? body.policies.map(String) : null,
      Roles: null,
      Global: body.global === true,
      Hash: null,
      CreateTime: existing?.CreateTime ?? now(),
      ExpirationTime: body.expirationtime ?? existing?.ExpirationTime ?? null,
      ExpirationTTL: ttl ?? 0,
      CreateIndex: 0,
      ModifyIndex: 0,
    };
    if (!existing && !t.ExpirationTime && ttl > 0)
      t.ExpirationTime = goTime(Date.parse(t.CreateTime) + ttl / 1e6);
    const errs = [];
    if (t.Name.length > 256) errs.push("token name too long");
    if (t.Type === "client" && !t.Policies) errs.push("client token missing policies or roles");
    else if (t.Type === "management" && t.Policies)
      errs.push("management token cannot be associated with policies or roles");
    else if (t.Type !== "client" && t.Type !== "management")
      errs.push("token type must be client or management");
    if (!existing) {
      if (ttl < 0) errs.push(`token expiration TTL '${body.expirationttl}' should not be negative`);
      if (t.ExpirationTime) {
        const inMs = Date.parse(t.ExpirationTime) - Date.parse(t.CreateTime);
        if (inMs < 0) errs.push("expiration time cannot be before create time");
        const fmt = (ns) => goDurationText(ns);
        if (inMs * 1e6 > maxTtlNs)
          errs.push(
            `expiration time cannot be more than ${fmt(maxTtlNs)} in the future (was ${fmt(inMs * 1e6)})`,
          );
        else if (inMs * 1e6 < minTtlNs)
          errs.push(
            `expiration time cannot be less than ${fmt(minTtlNs)} in the future (was ${fmt(inMs * 1e6)})`,
          );
      }
    } else {
      if (existing.Global !== t.Global) errs.push("cannot toggle global mode");
      if (existing.ExpirationTTL !== t.ExpirationTTL) errs.push("cannot update expiration TTL");
    }
    if (errs.length) throw new ApiError(400, `token 0 invalid: ${multi(errs)}`);
    const index = this.write("acl_token");
    t.Hash = tokenHash(t);
    t.CreateIndex = existing?.CreateIndex ?? index;
    t.ModifyIndex = index;
    this.tokens.set(t.AccessorID, t);
    this.onChange();
    return { token: t, index };
  }
  deleteToken(accessor) {
    if (!this.tokens.has(accessor)) throw new ApiError(400, `Cannot delete nonexistent tokens: ${accessor}`);
    const index = this.write("acl_token");
    this.tokens.delete(accessor);
    this.onChange();
    return index;
  }

  /** resolveACLFromToken: management, or the union of the token's existing policies. */
  aclFor(token) {
    if (token.Type === "management") return new Acl(true);
    const policies = (token.Policies ?? [])
      .map((n) => this.policies.get(n))
      .filter(Boolean)
      .map((p) => parsePolicy(p.Rules));
    return new Acl(false, policies);
  }
}

/** time.Duration.String() for whole units (ns in, "24h0m0s" out). */
export function goDurationText(ns) {
  const s = Math.round(ns / 1e9);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h ? `${h}h${m}m${sec}s` : m ? `${m}m${sec}s` : `${sec}s`;
}

/** structs.IsExpired. */
export const isExpired = (t) => !!t.ExpirationTime && Date.parse(t.ExpirationTime) < Date.now();
/** ACLTokenListStub. */
export const tokenStub = (t) => ({
  AccessorID: t.AccessorID,
  Name: t.Name,
  Type: t.Type,
  Policies: t.Policies,
  Roles: t.Roles,
  Global: t.Global,
  Hash: t.Hash,
  CreateTime: t.CreateTime,
  ExpirationTime: t.ExpirationTime,
  CreateIndex: t.CreateIndex,
  ModifyIndex: t.ModifyIndex,
});
/** ACLPolicyListStub. */
export const policyStub = (p) => ({
  Name: p.Name,
  Description: p.Description,
  JobACL: p.JobACL,
  Hash: p.Hash,
  CreateIndex: p.CreateIndex,
  ModifyIndex: p.ModifyIndex,
});

/** Sets up `agent.acl` on a server: loaded from data_dir/server/np-double-acl.json, saved there on change. */
export function initAclServer(agent, fs, path, parseDuration) {
  const file = path.join(agent.cfg.dataDir, "server/np-double-acl.json");
  let timer = null;
  agent.saveAclSoon = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        fs.writeFileSync(`${file}.tmp`, JSON.stringify(agent.acl.toJSON()), { mode: 0o600 });
        fs.renameSync(`${file}.tmp`, file);
      } catch {}
      agent.saveRaft();
    }, 50);
  };
  agent.acl = new AclStore(
    agent.fsm,
    () => {
      agent.saveAclSoon();
      agent.notify();
    },
    parseDuration,
  );
  try {
    agent.acl.load(JSON.parse(fs.readFileSync(file, "utf8")));
  } catch {}
}
