import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np status`: cluster health; exit 0 when healthy, 1 when degraded. */
export const registerStatus: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("status")
    .description(
      "cluster health: leaders, servers and voters, failure tolerance, members, versions on each node",
    )
    .action(async (_opts, cmd: Command) => {
      const { status } = await import("../actions/status.js");
      await status(contextFrom(cmd, signal));
    });
};
