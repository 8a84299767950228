import { ApiTunnels } from "../cluster/apis.js";
import { loadClusterSecrets } from "../cluster/cluster-secrets.js";
import type { HostRun, RunContext } from "../cluster/context.js";
import { grantTunnelAccess } from "../cluster/phases/load-secrets.js";
import { startServices } from "../cluster/phases/start-services.js";
import { writeConfigs } from "../cluster/phases/write-files.js";
import { runPhases } from "../cluster/run.js";
import { desiredHost } from "../components/index.js";
import { sha256 } from "../remote/upload.js";
import type { DesiredFile } from "../render/index.js";
import { Secret, type SecretValues } from "../secrets/index.js";
import { TOKEN_RELOADING_UNITS } from "./registry.js";

/**
 * How a file that differs from its host only by the rotated secrets takes effect:
 * - `none`: the services already use the new value without reading the file (a gossip key their keyrings hold);
 *   the file is written for agents that start later (a node added joins with it), nothing restarts or reloads;
 * - `reload`: units that re-read tokens on SIGHUP (Consul) are reloaded instead of restarted; the others
 *   (Traefik, np-agent, Nomad) restart as their policies say.
 */
export type SecretEffect = "none" | "reload";

/** The secrets the hosts still hold from before the rotation (by name), and what a change of only those needs. */
export interface PassOptions {
  before?: ReadonlyMap<string, string>;
  effect?: SecretEffect;
}

/** The run's secrets with some values replaced: what the hosts' files held before a rotation. */
export function withValues(secrets: SecretValues, values: ReadonlyMap<string, string>): SecretValues {
  const over = (name: string) => {
    const v = values.get(name);
    return v === undefined ? undefined : new Secret(v);
  };
  return { get: (n) => over(n) ?? secrets.get(n), find: (n) => over(n) ?? secrets.find(n) };
}

/** Whether the host holds `before` (the file as rendered from the old secrets) rather than the new content. */
const holdsOld = (host: HostRun, file: DesiredFile, before: DesiredFile | undefined): before is DesiredFile =>
  before !== undefined &&
  before.path === file.path &&
  before.content !== file.content &&
  host.state.paths.get(file.path)?.sha256 === sha256(before.content);

/** The file written without restarting or reloading anything: the services use its new value already. */
export const withoutEffect = (file: DesiredFile): DesiredFile => ({ ...file, restarts: [], reloads: [] });

/** The file with the lighter effect its change needs when only rotated secrets changed. */
export function lighten(file: DesiredFile, effect: SecretEffect): DesiredFile {
  if (effect === "none") return withoutEffect(file);
  const reload = file.restarts.filter((u) => TOKEN_RELOADING_UNITS.has(u));
  return {
    ...file,
    restarts: file.restarts.filter((u) => !TOKEN_RELOADING_UNITS.has(u)),
    reloads: [...new Set([...(file.reloads ?? []), ...reload])],
  };
}

/** np's tunnels again, trusting the CA bundle and presenting the certificate and tokens .np/secrets holds now. */
function renewTunnels(ctx: RunContext, secrets: SecretValues): void {
  const old = ctx.tunnels;
  ctx.tunnels = new ApiTunnels();
  grantTunnelAccess(ctx.tunnels, ctx.inv, secrets);
  void old.close();
}

/**
 * One convergence of every host to the secrets now in .np/secrets (loaded again: a rotation changed them), with
 * np up's own phases: files written where they differ, then units reloaded or restarted by their policies
 * (servers one at a time behind their health gates). Files only `before` secrets changed get `effect` (none).
 */
export async function convergePass(ctx: RunContext, opts: PassOptions = {}): Promise<void> {
  const { secrets, issued } = await loadClusterSecrets(ctx.inv);
  for (const c of issued) ctx.out.info(`issued certificate ${c.id} (${c.why})`);
  ctx.secrets = secrets;
  renewTunnels(ctx, secrets);
  const old = opts.before && opts.before.size > 0 ? withValues(secrets, opts.before) : undefined;
  for (const host of ctx.hosts) {
    const desired = desiredHost(ctx.inv, host.spec, secrets);
    if (old) {
      const before = desiredHost(ctx.inv, host.spec, old).files;
      desired.files = desired.files.map((f, i) =>
        holdsOld(host, f, before[i]) ? lighten(f, opts.effect ?? "none") : f,
      );
    }
    host.desired = desired;
  }
  await runPhases(ctx, [writeConfigs, startServices]);
}

/**
 * What differs between the hosts and their renders beyond a rotation's own changes (files whose host content is
 * the old render), and restarts an interrupted run left owed: `np rotate` changes secrets only, on a cluster
 * `np up` has converged.
 */
export function pendingBesides(ctx: RunContext, before?: ReadonlyMap<string, string>): string[] {
  const secrets = ctx.secrets;
  if (!secrets) throw new Error("secrets must be loaded first");
  const old = before && before.size > 0 ? withValues(secrets, before) : undefined;
  const pending: string[] = [];
  for (const host of ctx.hosts) {
    const oldFiles = old ? desiredHost(ctx.inv, host.spec, old).files : [];
    host.desired.files.forEach((f, i) => {
      const have = host.state.paths.get(f.path);
      if (have?.kind === "file" && have.sha256 === sha256(f.content)) return;
      if (holdsOld(host, f, oldFiles[i])) return;
      pending.push(`${host.spec.name}: ${f.path}`);
    });
    for (const unit of host.restart) pending.push(`${host.spec.name}: ${unit} owes a restart`);
  }
  return pending;
}
