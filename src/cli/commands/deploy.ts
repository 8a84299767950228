import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np deploy`: np.yaml → Nomad's plan → register (check-and-set) → follow the deployment → the app's URL. */
export const registerDeploy: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("deploy")
    .description(
      "deploy the app of np.yaml: show Nomad's plan, submit it, follow it until healthy, print its URL",
    )
    .option("-f, --file <file>", "the app's np.yaml", "np.yaml")
    .option("--dry-run", "print Nomad's plan and stop: nothing is submitted")
    .option("--detach", "return once Nomad accepted the job, without following the deployment")
    .addHelpText(
      "after",
      "\nEnv values of np.yaml are taken from your environment at deploy time and never printed.\n" +
        "Exit codes: 0 deployed (or nothing to change), 1 the deployment failed or was refused, 2 np.yaml or flags invalid.",
    )
    .action(async (opts: { file: string; dryRun?: boolean; detach?: boolean }, cmd: Command) => {
      const { deploy } = await import("../actions/deploy.js");
      await deploy(contextFrom(cmd, signal), {
        file: opts.file,
        dryRun: Boolean(opts.dryRun),
        detach: Boolean(opts.detach),
      });
    });
};
