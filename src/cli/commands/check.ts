import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np check`: connect and run preflight only; changes nothing. */
export const registerCheck: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("check")
    .description(
      "connect to every host and run preflight (OS, CPU, RAM, disk, ports, clock); changes nothing",
    )
    .action(async (_opts, cmd: Command) => {
      const { check } = await import("../actions/check.js");
      await check(contextFrom(cmd, signal));
    });
};
