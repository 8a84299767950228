import { ApiError } from "../api/http.js";
import type { JobRead, NomadApi } from "../api/nomad.js";
import { OperationError } from "../errors.js";
import { readAppJob } from "./app-job.js";
import type { EdgeHttp } from "./edge-http.js";
import { type ChangeContext, followAndFinish } from "./follow-and-finish.js";
import { refuseWhileRollingOut } from "./guard.js";
import { concurrentChange } from "./nomad-errors.js";

/** What a version runs: its groups as Nomad stores them (an auto-revert copies them from the older version). */
const specOf = (v: JobRead) => JSON.stringify(v.TaskGroups);

/**
 * The version `np rollback` returns to: the newest stable version older than the current one that runs
 * something else than the current one (an auto-revert's version is a copy of an older one: going "back" to
 * the copy's original would change nothing). Undefined when there is none.
 */
export function previousStableVersion(versions: readonly JobRead[], current: number): JobRead | undefined {
  const now = versions.find((v) => v.Version === current);
  return versions
    .filter((v) => v.Version < current && v.Stable && (!now || specOf(v) !== specOf(now)))
    .toSorted((a, b) => b.Version - a.Version)
    .at(0);
}

/**
 * `np rollback APP [VERSION]`: registers an earlier version again (the previous stable one, or VERSION), only
 * if the job is still at the version np looked at (EnforcePriorVersion), and follows the deployment.
 */
export async function rollbackApp(
  target: { nomad: NomadApi; edge: () => Promise<EdgeHttp | null> },
  app: string,
  version: number | undefined,
  ctx: ChangeContext,
): Promise<{ app: string; from: number; to: number; version?: number; url?: string }> {
  const { nomad } = target;
  const job = await readAppJob(nomad, app);
  const versions = await nomad.jobVersions(app);
  const kept = versions.map((v) => v.Version).toSorted((a, b) => a - b);
  let to: number;
  if (version !== undefined) {
    if (version === job.Version)
      throw new OperationError(
        `${app}: version ${version} is the one registered now`,
        "name an older version",
      );
    if (!kept.includes(version))
      throw new OperationError(
        `${app}: Nomad no longer keeps version ${version} (it keeps ${kept.join(", ")})`,
        "`np status APP` lists the versions",
      );
    to = version;
  } else {
    const prev = previousStableVersion(versions, job.Version);
    if (!prev)
      throw new OperationError(
        `${app}: no earlier stable version runs something else than version ${job.Version} (Nomad keeps ${kept.join(", ")})`,
        "`np status APP` lists the versions; `np rollback APP VERSION` picks one",
      );
    to = prev.Version;
  }
  await refuseWhileRollingOut(nomad, app);
  let started: Awaited<ReturnType<NomadApi["revert"]>>;
  try {
    started = await nomad.revert(app, to, job.Version);
  } catch (err) {
    if (err instanceof ApiError && /enforcing version/.test(err.body)) throw concurrentChange(app, err);
    throw err;
  }
  ctx.out.info(`${app}: rolling back from version ${job.Version} to version ${to}`);
  const done = await followAndFinish(target, app, started, ctx);
  return { app, from: job.Version, to, ...done };
}
