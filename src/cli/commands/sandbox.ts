import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { DEFAULT_NODES, MAX_NODES, MIN_NODES } from "../../sandbox/layout.js";
import { DEFAULT_SANDBOX_NAME } from "../../sandbox/paths.js";
import { contextFrom } from "../context.js";
import type { RegisterCommand } from "./index.js";

function parseCount(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("expected a whole number");
  return Number(value);
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface UpFlags {
  nodes?: number;
  small?: string[];
  out: string;
  rebuild?: boolean;
  name: string;
  subnet?: string;
}

/** `np sandbox up|down|status`: local systemd-nspawn nodes that behave like bare VMs (Linux, root). */
export const registerSandbox: RegisterCommand = (program: Command, signal: AbortSignal) => {
  const sandbox = program
    .command("sandbox")
    .description("local nodes that behave like bare VMs, for trying np and for its tests (Linux, root)");

  sandbox
    .command("up")
    .description("create or start the sandbox's nodes and write an inventory for them")
    .option(
      "--nodes <n>",
      `number of nodes, ${MIN_NODES}-${MAX_NODES} (default: ${DEFAULT_NODES}, or the current count)`,
      parseCount,
    )
    .option("--small <node>", "make this node report 1 CPU and 128 MB of RAM (repeatable)", collect)
    .option("--out <file>", "where to write the inventory", "sandbox.inventory.yaml")
    .option("--rebuild", "rebuild the cached base root (debootstrap) and recreate the nodes")
    .option("--name <name>", "sandbox name (several sandboxes can run side by side)", DEFAULT_SANDBOX_NAME)
    .option(
      "--subnet <cidr>",
      "private IPv4 subnet for the bridge (default: 10.213.7.0/24, or the current one)",
    )
    .action(async (flags: UpFlags, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      // Loaded on use: the sandbox's modules (zx among them) would slow every other command's start.
      const { sandboxUp } = await import("../../sandbox/up.js");
      const result = await sandboxUp({
        name: flags.name,
        nodes: flags.nodes,
        small: flags.small,
        subnet: flags.subnet,
        inventoryFile: path.resolve(ctx.cwd, flags.out),
        rebuild: Boolean(flags.rebuild),
        out: ctx.out,
        signal: ctx.signal,
      });
      if (ctx.out.json) ctx.out.data(result);
    });

  sandbox
    .command("down")
    .description("stop and delete the sandbox's nodes and bridge (the cached base root stays)")
    .option("--name <name>", "sandbox name", DEFAULT_SANDBOX_NAME)
    .action(async (flags: { name: string }, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      const { sandboxDown } = await import("../../sandbox/down.js");
      const result = await sandboxDown({ name: flags.name, out: ctx.out });
      if (ctx.out.json) ctx.out.data(result);
    });

  sandbox
    .command("status")
    .description("list the sandbox's nodes, addresses and roles, and whether each runs")
    .option("--name <name>", "sandbox name", DEFAULT_SANDBOX_NAME)
    .action(async (flags: { name: string }, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      const { printStatus, sandboxStatus } = await import("../../sandbox/status.js");
      printStatus(await sandboxStatus(flags.name), ctx.out);
    });
};
