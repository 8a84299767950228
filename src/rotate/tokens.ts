import { randomUUID } from "node:crypto";
import path from "node:path";
import { type RunContext, withRole } from "../cluster/context.js";
import type { SecretSpec } from "../secrets/index.js";
import { convergePass } from "./pass.js";
import type { RotationReport } from "./report.js";
import { RotationStore } from "./store.js";
import type { TokenSystem } from "./types.js";

/**
 * Gives every token np keeps in one ACL system a new SecretID, so nothing is ever denied on the way:
 * 1. the new SecretIDs are saved in .np/secrets/rotating/ before the system hears of them;
 * 2. each new token is made beside the old one, with the same rights;
 * 3. .np/secrets switches to the new ones (the old ones kept in retiring/), np's own calls too;
 * 4. every file that holds a token is rendered again and its service reloaded (Consul) or restarted (the others,
 *    by their restart policies: servers one at a time);
 * 5. only then are the old tokens deleted.
 * A run interrupted anywhere goes on from where it stopped (a token switched already is not made again).
 */
export async function rotateTokenSystem(
  ctx: RunContext,
  system: TokenSystem,
  report: RotationReport,
): Promise<void> {
  const store = new RotationStore(path.join(ctx.inv.dir, ".np"));
  const specs: SecretSpec[] = [system.management, ...system.tokens(ctx.inv)];
  const under = await store.underWay();
  const resuming = specs.some((s) => under.rotating.includes(s.name) || under.retiring.includes(s.name));
  const via = withRole(ctx, "server")[0]?.spec.name ?? "cluster";
  const switching: { spec: SecretSpec; next: string }[] = [];
  for (const spec of specs) {
    if ((await store.retiring(spec.name)) !== undefined) continue;
    let next = await store.next(spec.name);
    // Resuming, a token with nothing under way was not part of that rotation: it keeps its SecretID.
    if (next === undefined && resuming) continue;
    if (next === undefined) {
      next = spec.generate?.() ?? randomUUID();
      await store.saveNext(spec.name, next);
    }
    switching.push({ spec, next });
  }
  for (const { spec, next } of switching) await system.create(ctx, spec.name, next);
  if (switching.length > 0)
    report.cluster(via, `${system.service}: made ${switching.length} new tokens beside the old ones`);
  for (const { spec, next } of switching) await store.promote(spec, next);
  const before = new Map<string, string>();
  for (const spec of specs) {
    const old = await store.retiring(spec.name);
    if (old !== undefined) before.set(spec.name, old);
  }
  // Every holder gets its new token (and np uses its new management token) before any old one goes.
  await convergePass(ctx, { before, effect: "reload" });
  for (const [name, old] of before) {
    await system.remove(ctx, old);
    await store.forget(name);
  }
  report.cluster(
    via,
    `${system.service}: deleted the ${before.size} old tokens, now that every holder has its new one`,
  );
  for (const h of ctx.hosts) report.host(h.spec.name, `${system.service} tokens replaced in its files`);
}
