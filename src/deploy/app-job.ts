import type { JobRead, NomadApi } from "../api/nomad.js";
import { JOB_META } from "../app/build-job.js";
import { OperationError } from "../errors.js";

/** Whether np deployed this job: np writes its version into the job's Meta. */
export const isNpJob = (meta: Record<string, string> | null | undefined) =>
  typeof meta?.[JOB_META.npVersion] === "string";

/** The app's job as Nomad has it; an OperationError naming the app when Nomad has no such job. */
export async function readAppJob(nomad: NomadApi, app: string): Promise<JobRead> {
  const job = (await nomad.job(app)).body;
  if (!job)
    throw new OperationError(
      `no app ${JSON.stringify(app)} in Nomad`,
      "`np status` lists the apps np deployed",
    );
  return job;
}
