import { type Command, InvalidArgumentError } from "commander";
import { UIS, type Ui } from "../../access/uis.js";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np open <ui>`: a local port forwarded to a cluster UI through SSH, until Ctrl-C. */
export const registerOpen: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("open")
    .description("forward a local port to a cluster UI through SSH and print its URL and where its login is")
    .argument("<ui>", `one of ${UIS.join(", ")}`, (value: string) => {
      if (!(UIS as readonly string[]).includes(value))
        throw new InvalidArgumentError(`expected one of ${UIS.join(", ")}`);
      return value as Ui;
    })
    .option(
      "--port <port>",
      "local port (default: the UI's own port, or a free one when it is taken)",
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535)
          throw new InvalidArgumentError("expected a port number");
        return n;
      },
    )
    .action(async (ui: Ui, opts: { port?: number }, cmd: Command) => {
      const { openUi } = await import("../actions/open.js");
      await openUi(contextFrom(cmd, signal), ui, opts);
    });
};
