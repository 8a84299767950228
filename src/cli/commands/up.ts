import { type Command, InvalidArgumentError } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np up`: converge the cluster to the inventory. Safe to re-run: nothing changes when nothing differs. */
export const registerUp: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("up")
    .description(
      "install, configure and start Consul and Nomad on every host and form the Raft quorum (safe to re-run)",
    )
    .option("--quorum-timeout <seconds>", "how long to wait for quorum after starting services", seconds, 180)
    .action(async (opts: { quorumTimeout: number }, cmd: Command) => {
      const { up } = await import("../actions/up.js");
      await up(contextFrom(cmd, signal), opts.quorumTimeout * 1000);
    });
};

/** A positive number of seconds (a flag value); anything else is refused with exit 2 before anything runs. */
export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError("expected a number of seconds greater than 0");
  return n;
}
