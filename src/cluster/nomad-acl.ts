import type { NomadAclApi, NomadAclPolicy, NomadAclToken } from "../api/nomad-acl.js";
import type { NomadPolicy, NomadToken } from "../components/nomad/index.js";
import type { SecretValues } from "../secrets/index.js";

/** What Nomad holds of np's ACLs: each policy by name, each token by its secret's name (null: none there). */
export interface NomadAclState {
  policies: Map<string, NomadAclPolicy | null>;
  tokens: Map<string, NomadAclToken | null>;
}

/**
 * One change np makes to Nomad's ACLs, in words (never with a secret). A created token's SecretID is Nomad's:
 * `apply` returns it, and the caller saves it before anything uses it.
 */
export interface NomadAclAction {
  kind: "create policy" | "update policy" | "create token" | "update token";
  name: string;
  /** The secret (in .np/secrets) a created token's SecretID goes into. */
  secret?: string;
  apply(api: NomadAclApi): Promise<string | undefined>;
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && [...a].sort().join("\n") === [...b].sort().join("\n");

/**
 * Reads what Nomad holds of np's policies (by name) and tokens: a token is found as itself, by the SecretID np
 * saved (GET /v1/acl/token/self), so np never needs to tell its tokens apart in Nomad's list. A token whose secret
 * np does not hold, or that Nomad no longer knows (deleted by hand), is null.
 */
export async function readNomadAcl(
  api: NomadAclApi,
  desired: { policies: readonly NomadPolicy[]; tokens: readonly NomadToken[] },
  secrets: SecretValues,
): Promise<NomadAclState> {
  const [policies, tokens] = await Promise.all([
    Promise.all(desired.policies.map(async (p) => [p.name, await api.policy(p.name)] as const)),
    Promise.all(
      desired.tokens.map(async (t) => {
        const secret = secrets.find(t.secret);
        return [t.secret, secret ? await api.self(secret.reveal()) : null] as const;
      }),
    ),
  ]);
  return { policies: new Map(policies), tokens: new Map(tokens) };
}

/**
 * What must change for Nomad to hold exactly np's policies and tokens: policies missing or with other rules or
 * description, tokens missing (then Nomad makes a new one) or with another name, type or policies (updated in
 * place: Nomad keeps the SecretID, so no file changes). Empty when all is in place: a second `np up` changes nothing.
 */
export function nomadAclActions(
  desired: { policies: readonly NomadPolicy[]; tokens: readonly NomadToken[] },
  existing: NomadAclState,
): NomadAclAction[] {
  const actions: NomadAclAction[] = [];
  for (const p of desired.policies) {
    const have = existing.policies.get(p.name) ?? null;
    if (have && have.Rules === p.rules && have.Description === p.description) continue;
    const body = { Name: p.name, Description: p.description, Rules: p.rules };
    actions.push({
      kind: have ? "update policy" : "create policy",
      name: p.name,
      apply: (api) => api.putPolicy(body).then(() => undefined),
    });
  }
  for (const t of desired.tokens) {
    const have = existing.tokens.get(t.secret) ?? null;
    if (!have) {
      actions.push({
        kind: "create token",
        name: t.name,
        secret: t.secret,
        apply: async (api) => (await api.createToken({ Name: t.name, Policies: t.policies })).SecretID,
      });
      continue;
    }
    if (have.Name === t.name && have.Type === "client" && sameSet(have.Policies ?? [], t.policies)) continue;
    actions.push({
      kind: "update token",
      name: t.name,
      apply: (api) =>
        api
          .updateToken(have.AccessorID, { Name: t.name, Policies: t.policies, Global: have.Global })
          .then(() => undefined),
    });
  }
  return actions;
}
