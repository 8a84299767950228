import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np unlock`: show who holds the cluster lock, and end a stuck run's hold with --yes. */
export const registerUnlock: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("unlock")
    .description(
      "show who holds the cluster lock; with --yes, end the hold of a stuck np run (a dead run frees it by itself)",
    )
    .action(async (_opts, cmd: Command) => {
      const { unlock } = await import("../actions/unlock.js");
      await unlock(contextFrom(cmd, signal));
    });
};
