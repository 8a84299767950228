import type { Command } from "commander";
import { contextFrom } from "../context.js";
import { wholeNumber } from "./app-args.js";
import type { RegisterCommand } from "./index.js";

/** `np scale APP COUNT`: set the app's instance count and follow the deployment. */
export const registerScale: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("scale")
    .description("set how many instances of an app run, and follow the deployment like np deploy")
    .argument("<app>", "the app's name")
    .argument("<count>", "instances to run", wholeNumber(0, 10_000, "an instance count"))
    .addHelpText(
      "after",
      "\nRefused while a deployment of the app is running. Exit codes: 0 done, 1 failed or refused.",
    )
    .action(async (app: string, count: number, _opts: unknown, cmd: Command) => {
      const { scale } = await import("../actions/app-changes.js");
      await scale(contextFrom(cmd, signal), app, count);
    });
};
