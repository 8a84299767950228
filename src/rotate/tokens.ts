import { randomUUID } from "node:crypto";
import path from "node:path";
import { type RunContext, withRole } from "../cluster/context.js";
import { desiredHost } from "../components/index.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { SecretSpec, SecretValues } from "../secrets/index.js";
import { convergePass, withValues } from "./pass.js";
import type { RotationReport } from "./report.js";
import { RotationStore } from "./store.js";
import { planTokens, type TokenFiles, type TokenStep } from "./token-plan.js";
import type { TokenSystem } from "./types.js";

interface Entry {
  system: TokenSystem;
  spec: SecretSpec;
}

/** The names of the tokens whose old value is in the host's files: the ones it was given anew. */
export function tokensHeldBy(
  inv: Inventory,
  host: HostSpec,
  secrets: SecretValues,
  old: ReadonlyMap<string, string>,
): string[] {
  const now = desiredHost(inv, host, secrets).files.map((f) => f.content);
  return [...old].flatMap(([name, value]) => {
    const before = desiredHost(inv, host, withValues(secrets, new Map([[name, value]]))).files;
    return before.some((f, i) => f.content !== now[i]) ? [name] : [];
  });
}

async function filesOf(store: RotationStore, name: string): Promise<TokenFiles> {
  const [current, next, retiring] = await Promise.all([
    store.current(name),
    store.next(name),
    store.retiring(name),
  ]);
  return { current, next, retiring };
}

/** What the steps of one token rotation share: the run, .np/secrets, the report, the server its steps go through. */
interface Step {
  ctx: RunContext;
  store: RotationStore;
  report: RotationReport;
  via: string;
}

/**
 * Makes the new tokens owed beside the old ones, each saved before anything uses it: np's own SecretIDs all
 * before the first is made, the system's the moment it answers.
 */
async function makeNewTokens(s: Step, owed: readonly Entry[], plan: ReadonlyMap<string, TokenStep>) {
  for (const e of owed)
    if (e.system.secretBy === "np" && plan.get(e.spec.name) === "new")
      await s.store.saveNext(e.spec.name, e.spec.generate?.() ?? randomUUID());
  for (const e of owed) {
    const name = e.spec.name;
    let next = await s.store.next(name);
    if (e.system.secretBy === "np") await e.system.create(s.ctx, name, next);
    else if (next === undefined) {
      next = await e.system.create(s.ctx, name);
      await s.store.saveNext(name, next);
    }
    s.report.cluster(s.via, `${e.system.service} token ${name}: made the new one beside the old`);
  }
}

/** Says which host holds which new token, and which are np's own (on no host). */
function reportHolders(s: Step, before: ReadonlyMap<string, string>): void {
  const secrets = s.ctx.secrets;
  if (!secrets) return;
  const held = new Set<string>();
  for (const h of s.ctx.hosts) {
    const names = tokensHeldBy(s.ctx.inv, h.spec, secrets, before);
    for (const n of names) held.add(n);
    if (names.length > 0) s.report.host(h.spec.name, `holds its new tokens: ${names.join(", ")}`);
  }
  const own = [...before.keys()].filter((n) => !held.has(n));
  if (own.length > 0) s.report.cluster(s.via, `np's own new tokens, in .np/secrets only: ${own.join(", ")}`);
}

/** Deletes the old tokens (each forgotten once gone), then any token a cut run made but never saved. */
async function deleteOldTokens(
  s: Step,
  entries: readonly Entry[],
  systems: readonly TokenSystem[],
  before: ReadonlyMap<string, string>,
): Promise<void> {
  for (const e of entries) {
    const old = before.get(e.spec.name);
    if (old === undefined) continue;
    await e.system.remove(s.ctx, old);
    await s.store.forget(e.spec.name);
    s.report.cluster(s.via, `${e.system.service} token ${e.spec.name}: deleted the old one`);
  }
  for (const system of systems) {
    if (!system.sweep) continue;
    const names = entries.filter((e) => e.system === system).map((e) => e.spec.name);
    const keep = (await Promise.all(names.map((n) => s.store.current(n)))).filter((v) => v !== undefined);
    const swept = await system.sweep(s.ctx, names, keep);
    if (swept > 0)
      s.report.cluster(
        s.via,
        `${system.service}: deleted ${swept} token(s) an interrupted run made but never saved`,
      );
  }
}

/**
 * Gives every token np keeps in Consul and Nomad a new SecretID, so nothing is ever denied on the way:
 * 1. each new token is made beside the old one with the same rights, and saved in .np/secrets/rotating/ first
 *    (Consul: np chooses the SecretID, saved before Consul hears of it; Nomad makes its own, saved at its answer);
 * 2. .np/secrets switches to the new ones (the old ones kept in retiring/): np's own calls use them from here;
 * 3. every file that holds a token is rendered again and its service reloaded (Consul) or restarted (Nomad,
 *    Traefik, np-agent, by their restart policies: servers one at a time behind the quorum gate, edges one by one);
 * 4. only then are the old tokens deleted (and any token Nomad made that a cut run never saved).
 * A run interrupted anywhere goes on from where it stopped (planTokens).
 */
export async function rotateTokens(
  ctx: RunContext,
  systems: readonly TokenSystem[],
  report: RotationReport,
): Promise<void> {
  const store = new RotationStore(path.join(ctx.inv.dir, ".np"));
  const step: Step = { ctx, store, report, via: withRole(ctx, "server")[0]?.spec.name ?? "cluster" };
  const entries: Entry[] = systems.flatMap((system) =>
    system.tokens(ctx.inv).map((spec) => ({ system, spec })),
  );
  const files = new Map<string, TokenFiles>();
  for (const e of entries) files.set(e.spec.name, await filesOf(store, e.spec.name));
  const plan = planTokens(files);
  const owed = entries.filter((e) => ["new", "made"].includes(plan.get(e.spec.name) ?? "skip"));
  await makeNewTokens(step, owed, plan);
  for (const e of owed) {
    const next = await store.next(e.spec.name);
    if (next !== undefined) await store.promote(e.spec, next);
  }
  const before = new Map<string, string>();
  for (const e of entries) {
    const old = await store.retiring(e.spec.name);
    if (old !== undefined) before.set(e.spec.name, old);
  }
  // Every holder gets its new token (and np uses its new management tokens) before any old one goes.
  await convergePass(ctx, { before, effect: "reload" });
  reportHolders(step, before);
  await deleteOldTokens(step, entries, systems, before);
}
