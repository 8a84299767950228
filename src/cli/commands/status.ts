import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np status [APP]`: cluster health and every app; with APP, that app's deployment, instances and versions. */
export const registerStatus: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("status")
    .description(
      "cluster health (leaders, voters, failure tolerance, members, versions) and the apps; with APP, that app in detail",
    )
    .argument(
      "[app]",
      "an app: its deployment, each instance (node, state, health, restarts), events, versions",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 healthy, 1 the cluster is degraded (without APP) or the app cannot be read (with APP).",
    )
    .action(async (app: string | undefined, _opts: unknown, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      if (app !== undefined) {
        const { appStatus } = await import("../actions/app-status.js");
        await appStatus(ctx, app);
        return;
      }
      const { status } = await import("../actions/status.js");
      await status(ctx);
    });
};
