import { NomadAclApi, type NomadAclToken } from "../api/nomad-acl.js";
import type { RunContext } from "../cluster/context.js";
import { NOMAD_MANAGEMENT, nomadAcl, nomadTokenSecrets } from "../components/nomad/index.js";
import { OperationError } from "../errors.js";
import type { Inventory } from "../inventory/index.js";
import { onFirstServer } from "./first-server.js";
import type { TokenSystem } from "./types.js";

/** The Name np gives the management tokens it makes (the bootstrap's is Nomad's "Bootstrap Token"). */
export const NOMAD_MANAGEMENT_NAME = "np: management token";

/** Nomad's ACL API on the first server that answers, as np (its management token now). */
const onNomad = <T>(ctx: RunContext, fn: (acl: NomadAclApi) => Promise<T>) =>
  onFirstServer(ctx, (h) => fn(new NomadAclApi(ctx.tunnels.for("nomad", h.conn, h.spec.privateAddress))));

/** The Name np's token `name` carries in Nomad (what a sweep looks for). */
export function nomadTokenName(inv: Inventory, name: string): string {
  if (name === NOMAD_MANAGEMENT.name) return NOMAD_MANAGEMENT_NAME;
  const t = nomadAcl(inv).tokens.find((x) => x.secret === name);
  if (!t) throw new Error(`no Nomad token is named ${name}`);
  return t.name;
}

/** Makes a new token with the rights of np's token `name` and returns the SecretID Nomad made for it. */
export async function createNomadToken(acl: NomadAclApi, inv: Inventory, name: string): Promise<string> {
  let made: NomadAclToken;
  if (name === NOMAD_MANAGEMENT.name) made = await acl.createManagementToken(NOMAD_MANAGEMENT_NAME);
  else {
    const t = nomadAcl(inv).tokens.find((x) => x.secret === name);
    if (!t) throw new Error(`no Nomad token is named ${name}`);
    made = await acl.createToken({ Name: t.name, Policies: t.policies });
  }
  if (!made.SecretID)
    throw new OperationError(`Nomad made the new token for ${name} but answered without its SecretID`);
  return made.SecretID;
}

/** Deletes the token whose SecretID is `secret`, found as itself (Nomad never lists SecretIDs); gone is fine. */
export async function removeNomadToken(acl: NomadAclApi, secret: string): Promise<void> {
  const old = await acl.self(secret);
  if (old) await acl.deleteToken(old.AccessorID);
}

/** Deletes the tokens named as np's tokens `names` are, other than those with the SecretIDs `keep`. */
export async function sweepNomadTokens(
  acl: NomadAclApi,
  inv: Inventory,
  names: readonly string[],
  keep: readonly string[],
): Promise<number> {
  const kept = new Set<string>();
  for (const s of keep) {
    const t = await acl.self(s);
    if (t) kept.add(t.AccessorID);
  }
  const wanted = new Set(names.map((n) => nomadTokenName(inv, n)));
  const stray = (await acl.tokens()).filter((t) => wanted.has(t.Name) && !kept.has(t.AccessorID));
  for (const t of stray) await acl.deleteToken(t.AccessorID);
  return stray.length;
}

/**
 * Nomad's ACL tokens np keeps: its management token, the app commands' token and np-agent's per client. Nomad
 * makes every SecretID itself (the caller's is ignored, except the bootstrap's), so np saves each the moment Nomad
 * answers; a token made but never saved (a run cut in between) is swept by its name at the end.
 */
export const nomadTokens: TokenSystem = {
  service: "nomad",
  secretBy: "system",
  tokens: (inv) => nomadTokenSecrets(inv),
  create: (ctx, name) => onNomad(ctx, (acl) => createNomadToken(acl, ctx.inv, name)),
  remove: (ctx, secret) => onNomad(ctx, (acl) => removeNomadToken(acl, secret)),
  sweep: (ctx, names, keep) => onNomad(ctx, (acl) => sweepNomadTokens(acl, ctx.inv, names, keep)),
};
