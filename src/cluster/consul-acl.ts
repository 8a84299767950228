import {
  type AclPolicy,
  type AclToken,
  type AclTokenRequest,
  type ConsulAclApi,
  isAclLegacyMode,
} from "../api/consul-acl.js";
import { ApiError } from "../api/http.js";
import { accessorIdOf, type ConsulPolicy, type ConsulToken } from "../components/consul/index.js";
import { OperationError } from "../errors.js";
import type { SecretValues } from "../secrets/index.js";
import type { PolicyCache } from "./policy-cache.js";

/** One thing np changes in Consul's ACLs, said in words (never with a secret). */
export interface AclAction {
  kind: "create policy" | "update policy" | "create token" | "update token";
  name: string;
  apply(api: ConsulAclApi): Promise<void>;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/**
 * What must change for Consul to hold exactly np's policies and tokens: policies missing or with other rules,
 * tokens missing (found by the AccessorID np derives from their SecretID) or with other policies or node identities. Tokens np did not make are
 * left alone. Empty when everything is in place: a second `np up` changes nothing.
 */
export function aclActions(
  desired: { policies: readonly ConsulPolicy[]; tokens: readonly ConsulToken[] },
  existing: { policies: readonly AclPolicy[]; tokens: readonly AclToken[] },
  secrets: SecretValues,
): AclAction[] {
  const actions: AclAction[] = [];
  for (const p of desired.policies) {
    const have = existing.policies.find((x) => x.Name === p.name);
    const body = { Name: p.name, Description: p.description, Rules: p.rules };
    if (!have)
      actions.push({
        kind: "create policy",
        name: p.name,
        apply: (api) => api.putPolicy(body).then(() => {}),
      });
    else if (have.Rules !== p.rules || have.Description !== p.description)
      actions.push({
        kind: "update policy",
        name: p.name,
        apply: (api) => api.putPolicy(body, have.ID).then(() => {}),
      });
  }
  for (const t of desired.tokens) {
    const secret = secrets.get(t.secret).reveal();
    const accessor = accessorIdOf(secret);
    const have = existing.tokens.find((x) => x.AccessorID === accessor);
    const request: AclTokenRequest = {
      AccessorID: accessor,
      SecretID: secret,
      Description: t.description,
      Policies: t.policies.map((Name) => ({ Name })),
      NodeIdentities: t.nodeIdentities,
    };
    if (!have) {
      actions.push({
        kind: "create token",
        name: t.description,
        apply: (api) => api.putToken(request).then(() => {}),
      });
      continue;
    }
    const policiesNow = (have.Policies ?? []).map((p) => p.Name);
    const nodesNow = (have.NodeIdentities ?? []).map((n) => `${n.NodeName}/${n.Datacenter}`);
    const nodesWanted = t.nodeIdentities.map((n) => `${n.NodeName}/${n.Datacenter}`);
    if (
      !sameSet(policiesNow, t.policies) ||
      !sameSet(nodesNow, nodesWanted) ||
      have.Description !== t.description
    )
      actions.push({
        kind: "update token",
        name: t.description,
        apply: (api) => api.putToken(request, true).then(() => {}),
      });
  }
  return actions;
}

/**
 * Consul's policies (with their rules: the list has none) and tokens, as `aclActions` compares them. Right after
 * the bootstrap a server may still answer in ACL legacy mode for a few seconds (each server switches on its own),
 * or have no leader for a moment: it is asked again for up to `legacyWaitMs`.
 */
export async function readAcl(
  api: ConsulAclApi,
  names: readonly string[],
  legacyWaitMs = 60_000,
  cache?: PolicyCache,
): Promise<{ policies: AclPolicy[]; tokens: AclToken[] }> {
  const end = Date.now() + legacyWaitMs;
  for (;;) {
    try {
      return await readAclOnce(api, names, cache);
    } catch (err) {
      // Consul does not know the token np holds: say which file, and the likely reason, instead of a bare 403.
      if (err instanceof ApiError && err.status === 403 && /ACL not found/.test(err.body))
        throw new OperationError(
          "Consul does not know np's management token (.np/secrets/consul-management): this .np/ folder holds another cluster's secrets, or the token was deleted",
          "run np with the inventory beside this cluster's own .np/ folder (restore it from your backup if it is lost)",
        );
      // Legacy mode, or a 500 such as "No cluster leader" while the servers elect: both pass by themselves.
      if (!(isAclLegacyMode(err) || (err instanceof ApiError && err.status === 500)) || Date.now() > end)
        throw err;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

async function readAclOnce(
  api: ConsulAclApi,
  names: readonly string[],
  cache?: PolicyCache,
): Promise<{ policies: AclPolicy[]; tokens: AclToken[] }> {
  const [list, tokens] = await Promise.all([api.policies(), api.tokens()]);
  // Only np's policies are read in full (in parallel over one tunnel), and only those not read at their current
  // ModifyIndex before (policy-cache.ts).
  const policies = await Promise.all(
    list
      .filter((p) => names.includes(p.Name))
      .map(async (p) => {
        const known = cache?.get(p);
        if (known) return known;
        const read = await api.policy(p.ID);
        cache?.put(read);
        return read;
      }),
  );
  return { policies, tokens };
}
