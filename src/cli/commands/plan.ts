import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np plan`: what `np up` would change on each host; runs the same phases behind the dry-run gate. */
export const registerPlan: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("plan")
    .description(
      "show, per host, what `np up` would change (binaries, files with a short diff, restarts); changes nothing",
    )
    .action(async (_opts, cmd: Command) => {
      const { plan } = await import("../actions/plan.js");
      await plan(contextFrom(cmd, signal));
    });
};
