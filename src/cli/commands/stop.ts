import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np stop APP`: stop the app and wait until nothing of it runs or is registered in Consul. */
export const registerStop: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("stop")
    .description("stop an app and wait until its instances stopped and its service left Consul")
    .argument("<app>", "the app's name")
    .option("--purge", "also make Nomad forget the job and its versions (no rollback afterwards)")
    .action(async (app: string, opts: { purge?: boolean }, cmd: Command) => {
      const { stop } = await import("../actions/app-changes.js");
      await stop(contextFrom(cmd, signal), app, Boolean(opts.purge));
    });
};
