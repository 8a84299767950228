import { OperationError } from "../errors.js";
import { ApiError } from "./http.js";
import type { NomadApi } from "./nomad.js";

/** A token as Nomad's ACL endpoints answer it (structs.ACLToken; SecretID only to management or the token itself). */
export interface NomadAclToken {
  AccessorID: string;
  SecretID?: string;
  Name: string;
  Type: "client" | "management" | string;
  Policies: string[] | null;
  Global: boolean;
}

/** A policy as GET /v1/acl/policy/:name answers it. */
export interface NomadAclPolicy {
  Name: string;
  Description: string;
  Rules: string;
}

/** Nomad's ACLs were bootstrapped already, and not with the management secret np holds. */
export class NomadAclAlreadyBootstrapped extends OperationError {
  constructor(readonly resetIndex: string) {
    super(
      `Nomad's ACLs were bootstrapped already (reset index ${resetIndex}), and not with the token in .np/secrets/nomad-management`,
      `restore .np/secrets/nomad-management from your backup; or, if the token is lost, write ${resetIndex} into <data_dir>/server/acl-bootstrap-reset (/var/lib/nomad/server/acl-bootstrap-reset) on the leader and run \`np up\` again (Nomad allows one more bootstrap)`,
    );
  }
}

/** The ACL endpoints of Nomad (https://developer.hashicorp.com/nomad/api-docs/acl), as np uses them. */
export class NomadAclApi {
  constructor(private readonly nomad: NomadApi) {}

  /**
   * POST /v1/acl/bootstrap with np's own SecretID (`BootstrapSecret`): the management token, once per cluster. A
   * second bootstrap is a 400 `ACL bootstrap already done (reset index: N)`; ACLs off a 400 `ACL support disabled`.
   */
  async bootstrap(secret: string): Promise<NomadAclToken> {
    try {
      return (
        await this.nomad.json.send<NomadAclToken>("POST", "/v1/acl/bootstrap", { BootstrapSecret: secret })
      ).body;
    } catch (err) {
      const done = err instanceof ApiError && err.status === 400 && /reset index: (\d+)/.exec(err.body);
      if (done) throw new NomadAclAlreadyBootstrapped(done[1] ?? "");
      throw err;
    }
  }

  /**
   * The token whose SecretID is `secret` (GET /v1/acl/token/self, asked as that token), or null when Nomad does
   * not know it (403 `ACL token not found` / `Permission denied`): deleted, or never made.
   */
  async self(secret: string): Promise<NomadAclToken | null> {
    const r = await this.nomad.withToken(secret).json.get<NomadAclToken>("/v1/acl/token/self", [403]);
    return r.status === 403 ? null : r.body;
  }

  /** The policy, or null when there is none by that name (404 `ACL policy not found`). */
  async policy(name: string): Promise<NomadAclPolicy | null> {
    const r = await this.nomad.json.get<NomadAclPolicy>(`/v1/acl/policy/${encodeURIComponent(name)}`, [404]);
    return r.status === 404 ? null : r.body;
  }

  /** Creates or replaces the policy (Nomad answers an empty body). */
  async putPolicy(p: NomadAclPolicy): Promise<void> {
    await this.nomad.json.send("POST", `/v1/acl/policy/${encodeURIComponent(p.Name)}`, p).catch((err) => {
      // JsonApi wants JSON; an empty 200 is Nomad's success answer here.
      if (err instanceof ApiError && err.status === 200 && err.body === "not JSON: ") return;
      throw err;
    });
  }

  /** Creates a client token; Nomad makes its AccessorID and SecretID. */
  async createToken(t: { Name: string; Policies: string[] }): Promise<NomadAclToken> {
    const body = { Name: t.Name, Type: "client", Policies: t.Policies, Global: false };
    return (await this.nomad.json.send<NomadAclToken>("POST", "/v1/acl/token", body)).body;
  }

  /** Creates a management token (no policies: structs.ACLToken.Validate refuses them), global like the bootstrap's. */
  async createManagementToken(name: string): Promise<NomadAclToken> {
    const body = { Name: name, Type: "management", Global: true };
    return (await this.nomad.json.send<NomadAclToken>("POST", "/v1/acl/token", body)).body;
  }

  /** Every token, without SecretIDs (GET /v1/acl/tokens: ACLTokenListStub; management only). */
  async tokens(): Promise<NomadAclToken[]> {
    return (await this.nomad.json.get<NomadAclToken[]>("/v1/acl/tokens")).body;
  }

  /**
   * Deletes the token with this AccessorID. One that is gone already is fine: Nomad answers 400
   * `Cannot delete nonexistent tokens: <accessor>` (nomad/acl_endpoint.go DeleteTokens).
   */
  async deleteToken(accessor: string): Promise<void> {
    const r = await this.nomad.json.send<string>(
      "DELETE",
      `/v1/acl/token/${encodeURIComponent(accessor)}`,
      undefined,
      [400],
    );
    if (r.status === 400 && !/Cannot delete nonexistent tokens/.test(String(r.body)))
      throw new ApiError("Nomad", 400, `/v1/acl/token/${accessor}`, String(r.body));
  }

  /** Gives an existing token np's name and policies again (Nomad keeps its SecretID). */
  async updateToken(
    accessor: string,
    t: { Name: string; Policies: string[]; Global: boolean },
  ): Promise<void> {
    const body = {
      AccessorID: accessor,
      Name: t.Name,
      Type: "client",
      Policies: t.Policies,
      Global: t.Global,
    };
    await this.nomad.json.send("POST", `/v1/acl/token/${encodeURIComponent(accessor)}`, body);
  }
}
