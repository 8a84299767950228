import type { Command } from "commander";
import { contextFrom } from "../context.js";
import { wholeNumber } from "./app-args.js";
import type { RegisterCommand } from "./index.js";

/** `np rollback APP [VERSION]`: run an earlier version of the app again, and follow the deployment. */
export const registerRollback: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("rollback")
    .description("run an earlier version of an app again (default: the previous stable one) and follow it")
    .argument("<app>", "the app's name")
    .argument(
      "[version]",
      "the job version to return to (see np status APP)",
      wholeNumber(0, 2 ** 31, "a version"),
    )
    .action(async (app: string, version: number | undefined, _opts: unknown, cmd: Command) => {
      const { rollback } = await import("../actions/app-changes.js");
      await rollback(contextFrom(cmd, signal), app, version);
    });
};
