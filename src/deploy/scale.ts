import type { NomadApi } from "../api/nomad.js";
import { counted } from "../output/counted.js";
import { readAppJob } from "./app-job.js";
import type { EdgeHttp } from "./edge-http.js";
import { type ChangeContext, followAndFinish } from "./follow-and-finish.js";
import { busyApp, isScaleBlocked } from "./nomad-errors.js";

/**
 * `np scale APP COUNT`: sets the app's instance count and follows the deployment like a deploy. While a
 * deployment runs Nomad refuses (400), and so does np, saying so.
 */
export async function scaleApp(
  target: { nomad: NomadApi; edge: () => Promise<EdgeHttp | null> },
  app: string,
  count: number,
  ctx: ChangeContext,
): Promise<{ app: string; from: number; to: number; version?: number; url?: string }> {
  const { nomad } = target;
  const job = await readAppJob(nomad, app);
  const group = job.TaskGroups[0];
  const from = group?.Count ?? 0;
  if (!job.Stop && from === count) {
    ctx.out.info(`${app} already runs ${counted(count, "instance")}: nothing to do`);
    return { app, from, to: count };
  }
  let started: Awaited<ReturnType<NomadApi["scale"]>>;
  try {
    started = await nomad.scale(app, group?.Name ?? app, count, `np scale ${app} ${count}`);
  } catch (err) {
    if (isScaleBlocked(err))
      throw busyApp(app, `Nomad refuses to scale while a deployment of it is running (${err.body.trim()})`);
    throw err;
  }
  ctx.out.info(`${app}: scaling from ${from} to ${count}`);
  const done = await followAndFinish(target, app, started, ctx);
  return { app, from, to: count, ...done };
}
