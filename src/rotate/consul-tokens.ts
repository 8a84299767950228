import { ConsulApi } from "../api/consul.js";
import { type AclTokenRequest, ConsulAclApi } from "../api/consul-acl.js";
import { tunnelDispatcher } from "../api/tunnel.js";
import { type HostRun, type RunContext, withRole } from "../cluster/context.js";
import {
  accessorIdOf,
  CONSUL,
  consulAcl,
  consulTokenSecrets,
  MANAGEMENT_TOKEN,
} from "../components/consul/index.js";
import { OperationError } from "../errors.js";
import type { TokenSystem } from "./types.js";

/** Consul's built-in policy of the management token (ID 00000000-0000-0000-0000-000000000001). */
const GLOBAL_MANAGEMENT = "global-management";
const MANAGEMENT_DESCRIPTION = "np: management token";

/** Runs `fn` against the first server whose Consul answers, as np (its management token). */
async function onFirstServer<T>(
  ctx: RunContext,
  fn: (acl: ConsulAclApi, host: HostRun) => Promise<T>,
): Promise<T> {
  let last: unknown = new OperationError("the inventory has no server");
  for (const h of withRole(ctx, "server")) {
    try {
      return await fn(new ConsulAclApi(ctx.tunnels.for("consul", h.conn, h.spec.privateAddress).json), h);
    } catch (err) {
      last = err;
    }
  }
  throw last;
}

/** The token np asks Consul for, for one of its token names: the same rights under a new SecretID. */
function requestFor(ctx: RunContext, name: string, secret: string): AclTokenRequest {
  const base = { AccessorID: accessorIdOf(secret), SecretID: secret };
  if (name === MANAGEMENT_TOKEN.name)
    return {
      ...base,
      Description: MANAGEMENT_DESCRIPTION,
      Policies: [{ Name: GLOBAL_MANAGEMENT }],
      NodeIdentities: [],
    };
  const t = consulAcl(ctx.inv).tokens.find((x) => x.secret === name);
  if (!t) throw new Error(`no Consul token is named ${name}`);
  return {
    ...base,
    Description: t.description,
    Policies: t.policies.map((Name) => ({ Name })),
    NodeIdentities: t.nodeIdentities,
  };
}

/**
 * The AccessorID of the token with this SecretID, asked as that token (GET /v1/acl/token/self): Consul lists no
 * SecretIDs, and the bootstrap token's AccessorID is Consul's own, not one np derived. Null when it is gone.
 */
async function accessorOf(ctx: RunContext, host: HostRun, secret: string): Promise<string | null> {
  const ca = ctx.tunnels.consulAccess.ca;
  const { host: address, port } = ca ? CONSUL.https : CONSUL.http;
  const d = tunnelDispatcher(host.conn, address, port, ca ? { ca, host: address } : undefined);
  try {
    const api = new ConsulApi(`${ca ? "https" : "http"}://${address}:${port}`, d, () => secret);
    return (await new ConsulAclApi(api.json).self())?.AccessorID ?? null;
  } finally {
    await d.destroy();
  }
}

/** Consul's ACL tokens np keeps: the management token and every token rendered into the hosts' files. */
export const consulTokens: TokenSystem = {
  service: "consul",
  management: MANAGEMENT_TOKEN,
  tokens: (inv) => consulTokenSecrets(inv).filter((s) => s.name !== MANAGEMENT_TOKEN.name),
  async create(ctx, name, secret) {
    const request = requestFor(ctx, name, secret);
    await onFirstServer(ctx, async (acl) => {
      if (await acl.token(request.AccessorID)) return;
      await acl.putToken(request);
    });
  },
  async remove(ctx, secret) {
    await onFirstServer(ctx, async (acl, host) => {
      const accessor = await accessorOf(ctx, host, secret);
      if (accessor) await acl.deleteToken(accessor);
    });
  },
};
