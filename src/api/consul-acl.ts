import { OperationError } from "../errors.js";
import { ApiError, type JsonApi } from "./http.js";

/** A policy as Consul lists it (GET /v1/acl/policies: no rules) and reads it (GET /v1/acl/policy/:id). */
export interface AclPolicy {
  ID: string;
  Name: string;
  Description: string;
  Rules?: string;
  /** The Raft index of the policy's last write (in the list and in a policy read in full). */
  ModifyIndex?: number;
}

/** A token as Consul lists it (GET /v1/acl/tokens; SecretID only for a caller with acl:write). */
export interface AclToken {
  AccessorID: string;
  SecretID?: string;
  Description: string;
  Policies?: { ID: string; Name: string }[] | null;
  NodeIdentities?: { NodeName: string; Datacenter: string }[] | null;
}

/** What np asks a token to be. */
export interface AclTokenRequest {
  AccessorID: string;
  SecretID: string;
  Description: string;
  Policies: { Name: string }[];
  NodeIdentities: { NodeName: string; Datacenter: string }[];
}

/** The ACL system was bootstrapped already (Consul's 403), and np does not hold the token it made. */
export class AclAlreadyBootstrapped extends OperationError {
  constructor(readonly resetIndex: string) {
    super(
      `Consul's ACLs were bootstrapped already (reset index ${resetIndex}), but .np/secrets has no consul-management token`,
      `restore .np/secrets/consul-management from your backup; or, if the token is lost, write ${resetIndex} into <data_dir>/acl-bootstrap-reset (/var/lib/consul/acl-bootstrap-reset) on the leader and run \`np up\` again (Consul allows one more bootstrap)`,
    );
  }
}

/** Consul's "legacy mode" answer: the servers have not all switched to the new ACL system yet; asked again. */
export const isAclLegacyMode = (err: unknown) =>
  err instanceof ApiError && err.status === 500 && /legacy mode/i.test(err.body);

/** Consul's answer for a token it does not know (acl.ErrNotFound, sent as a 403 `ACL not found`). */
export const isAclNotFound = (err: unknown) =>
  err instanceof ApiError && err.status === 403 && /ACL not found/.test(err.body);

async function orNotFound<T>(request: Promise<{ body: T }>): Promise<T | null> {
  try {
    return (await request).body;
  } catch (err) {
    if (isAclNotFound(err)) return null;
    throw err;
  }
}

/** The ACL endpoints of Consul (https://developer.hashicorp.com/consul/api-docs/acl), as np uses them. */
export class ConsulAclApi {
  constructor(private readonly api: JsonApi) {}

  /**
   * PUT /v1/acl/bootstrap: the management token's SecretID, once per cluster. A second call is a 403
   * `Permission denied: ACL bootstrap no longer allowed (reset index: N)`; ACLs off are a 401 `ACL support disabled`.
   */
  async bootstrap(): Promise<string> {
    let secret: unknown;
    try {
      secret = (await this.api.send<{ SecretID?: unknown }>("PUT", "/v1/acl/bootstrap")).body?.SecretID;
    } catch (err) {
      const done = err instanceof ApiError && err.status === 403 && /reset index: (\d+)/.exec(err.body);
      if (done) throw new AclAlreadyBootstrapped(done[1] ?? "");
      throw err;
    }
    if (typeof secret !== "string")
      throw new OperationError("Consul's ACL bootstrap answered without a SecretID");
    return secret;
  }

  /**
   * Whether the servers still run the legacy ACL system (Consul 1.8 starts there and switches once every server
   * is known to support the new one): ACL endpoints answer 500 `The ACL system is currently in legacy mode.`
   */
  async inLegacyMode(): Promise<boolean> {
    try {
      await this.api.get("/v1/acl/policies");
      return false;
    } catch (err) {
      if (isAclLegacyMode(err)) return true;
      // Denied (np asks before it has a token): the new ACL system answered.
      if (err instanceof ApiError && err.status === 403) return false;
      throw err;
    }
  }

  async policies(): Promise<AclPolicy[]> {
    return (await this.api.get<AclPolicy[]>("/v1/acl/policies")).body;
  }

  async policy(id: string): Promise<AclPolicy> {
    return (await this.api.get<AclPolicy>(`/v1/acl/policy/${encodeURIComponent(id)}`)).body;
  }

  /** Creates the policy, or updates the one with `id`. */
  async putPolicy(p: { Name: string; Description: string; Rules: string }, id?: string): Promise<AclPolicy> {
    const path = id ? `/v1/acl/policy/${encodeURIComponent(id)}` : "/v1/acl/policy";
    return (await this.api.send<AclPolicy>("PUT", path, { ...p, ...(id && { ID: id }) })).body;
  }

  async tokens(): Promise<AclToken[]> {
    return (await this.api.get<AclToken[]>("/v1/acl/tokens")).body;
  }

  /** The token this API's requests carry (GET /v1/acl/token/self), or null when Consul knows no such token. */
  async self(): Promise<AclToken | null> {
    return orNotFound(this.api.get<AclToken>("/v1/acl/token/self"));
  }

  /** The token with this AccessorID, or null when there is none (Consul answers 403 `ACL not found`). */
  async token(accessorId: string): Promise<AclToken | null> {
    return orNotFound(this.api.get<AclToken>(`/v1/acl/token/${encodeURIComponent(accessorId)}`));
  }

  /** Deletes the token with this AccessorID; one that is gone already is fine. */
  async deleteToken(accessorId: string): Promise<void> {
    await orNotFound(this.api.send("DELETE", `/v1/acl/token/${encodeURIComponent(accessorId)}`));
  }

  /** Creates the token with np's AccessorID and SecretID, or (`update`) changes the existing one. */
  async putToken(t: AclTokenRequest, update = false): Promise<AclToken> {
    const path = update ? `/v1/acl/token/${encodeURIComponent(t.AccessorID)}` : "/v1/acl/token";
    return (await this.api.send<AclToken>("PUT", path, t)).body;
  }
}
