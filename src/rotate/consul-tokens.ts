import type { ConsulApi } from "../api/consul.js";
import { type AclTokenRequest, ConsulAclApi } from "../api/consul-acl.js";
import type { RunContext } from "../cluster/context.js";
import { accessorIdOf, consulAcl, consulTokenSecrets, MANAGEMENT_TOKEN } from "../components/consul/index.js";
import type { Inventory } from "../inventory/index.js";
import { onFirstServer } from "./first-server.js";
import type { TokenSystem } from "./types.js";

/** Consul's built-in policy of the management token (ID 00000000-0000-0000-0000-000000000001). */
const GLOBAL_MANAGEMENT = "global-management";
const MANAGEMENT_DESCRIPTION = "np: management token";

/** Consul's API on the first server that answers, as np (its management token now). */
const onConsul = <T>(ctx: RunContext, fn: (api: ConsulApi) => Promise<T>) =>
  onFirstServer(ctx, (h) => fn(ctx.tunnels.for("consul", h.conn, h.spec.privateAddress)));

/** The token np asks Consul for, for one of its token names: the same rights under a new SecretID. */
export function consulTokenRequest(inv: Inventory, name: string, secret: string): AclTokenRequest {
  const base = { AccessorID: accessorIdOf(secret), SecretID: secret };
  if (name === MANAGEMENT_TOKEN.name)
    return {
      ...base,
      Description: MANAGEMENT_DESCRIPTION,
      Policies: [{ Name: GLOBAL_MANAGEMENT }],
      NodeIdentities: [],
    };
  const t = consulAcl(inv).tokens.find((x) => x.secret === name);
  if (!t) throw new Error(`no Consul token is named ${name}`);
  return {
    ...base,
    Description: t.description,
    Policies: t.policies.map((Name) => ({ Name })),
    NodeIdentities: t.nodeIdentities,
  };
}

/** Makes the token np's `name` with SecretID `secret` (and np's AccessorID for it), unless Consul has it already. */
export async function createConsulToken(
  acl: ConsulAclApi,
  inv: Inventory,
  name: string,
  secret: string,
): Promise<void> {
  const request = consulTokenRequest(inv, name, secret);
  if (await acl.token(request.AccessorID)) return;
  await acl.putToken(request);
}

/**
 * Deletes the token whose SecretID is `secret`, through `api` (np's management token); gone already is fine. The
 * token is found as itself (GET /v1/acl/token/self): Consul 1.8 lists no SecretIDs, and the bootstrap token's
 * AccessorID is Consul's own, not one np derived.
 */
export async function removeConsulToken(api: ConsulApi, secret: string): Promise<void> {
  const old = await new ConsulAclApi(api.withToken(secret).json).self();
  if (old) await new ConsulAclApi(api.json).deleteToken(old.AccessorID);
}

/**
 * Consul's ACL tokens np keeps: its management token and every token rendered into the hosts' files. Consul takes
 * the caller's SecretID (and np's AccessorID, derived from it), so a new token is saved before Consul hears of it.
 */
export const consulTokens: TokenSystem = {
  service: "consul",
  secretBy: "np",
  tokens: (inv) => consulTokenSecrets(inv),
  async create(ctx, name, secret) {
    if (!secret) throw new Error("np chooses a Consul token's SecretID");
    await onConsul(ctx, (api) => createConsulToken(new ConsulAclApi(api.json), ctx.inv, name, secret));
    return secret;
  },
  remove: (ctx, secret) => onConsul(ctx, (api) => removeConsulToken(api, secret)),
};
