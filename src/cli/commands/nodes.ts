import type { Command } from "commander";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np nodes`: what the node agents report, one row per node. */
export const registerNodes: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("nodes")
    .description(
      "resources each node's agent reports: CPU, load, memory, disk, allocations, units, versions (one Consul read)",
    )
    .action(async (_opts, cmd: Command) => {
      const { nodes } = await import("../actions/nodes.js");
      await nodes(contextFrom(cmd, signal));
    });
};
