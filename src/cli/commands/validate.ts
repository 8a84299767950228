import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np validate`: check the inventory without touching any host. */
export const registerValidate: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("validate")
    .description("check the inventory (-i FILE, $NP_INVENTORY or ./inventory.yaml) without touching any host")
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      "after",
      "\nPrints every problem at once as FILE:LINE:COL key: message.\n" +
        'With --json prints { "valid", "problems", "warnings" }.\n' +
        "Exit codes: 0 valid, 2 invalid or not found.",
    )
    .action(async (_opts, cmd: Command) => {
      const { validate } = await import("../actions/validate.js");
      await validate(contextFrom(cmd, signal));
    });
};
