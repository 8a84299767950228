import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np unlock`: show and release the cluster lock left by a dead `np up`. */
export const registerUnlock: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("unlock")
    .description(
      "show who holds the cluster lock and release it (only when that np run is dead; needs --yes)",
    )
    .action(async (_opts, cmd: Command) => {
      const { unlock } = await import("../actions/unlock.js");
      await unlock(contextFrom(cmd, signal));
    });
};
