import path from "node:path";
import { buildJob } from "../../app/build-job.js";
import { resolveAppEnv } from "../../app/env.js";
import { jobTargetOf } from "../../app/job-target.js";
import { loadApp } from "../../app/load.js";
import { openAppCluster } from "../../deploy/cluster.js";
import { type DeployResult, deployApp } from "../../deploy/deploy.js";
import { npVersion } from "../../deploy/np-version.js";
import { loadInventory } from "../../inventory/index.js";
import type { CommandContext } from "../context.js";

/** `np deploy [-f np.yaml] [--dry-run] [--detach]`. */
export async function deploy(
  ctx: CommandContext,
  opts: { file: string; dryRun: boolean; detach: boolean },
): Promise<DeployResult> {
  const file = path.resolve(ctx.cwd, opts.file);
  const shown = path.relative(ctx.cwd, file) || file;
  // np.yaml first: a bad file stops here (exit 2), before any host is contacted.
  const { app, warnings } = await loadApp(shown.startsWith("..") ? file : shown);
  for (const w of warnings) ctx.out.warn(w);
  const env = resolveAppEnv(app);
  const { inventory } = await loadInventory(ctx.inventoryPath);
  const job = buildJob(app, jobTargetOf(inventory, npVersion()), env);
  const cluster = await openAppCluster(inventory, ctx.signal);
  try {
    ctx.out.debug(`Nomad through ${cluster.via}`);
    const result = await deployApp(cluster, app, job, opts, ctx);
    if (ctx.out.json) ctx.out.data(result);
    return result;
  } finally {
    await cluster.close();
  }
}
