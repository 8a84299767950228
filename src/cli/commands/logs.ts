import type { Command } from "commander";
import { contextFrom } from "../context.js";
import { durationMs, wholeNumber } from "./app-args.js";
import type { RegisterCommand } from "./index.js";

/** `np logs APP`: every instance's log in one stream, each line prefixed by its allocation and node. */
export const registerLogs: RegisterCommand = (program: Command, signal: AbortSignal) => {
  program
    .command("logs")
    .description("an app's logs from all its instances, each line prefixed by its allocation and node")
    .argument("<app>", "the app's name (np.yaml name)")
    .option("-f, --follow", "keep printing new lines, also from instances that start later (Ctrl-C to stop)")
    .option("--stderr", "the tasks' stderr instead of stdout")
    .option("--task <task>", "the task (default: the app's only task)")
    .option(
      "-n, --lines <n>",
      "lines per instance (with --since: in all)",
      wholeNumber(0, 100_000, "a count"),
      50,
    )
    .option(
      "--since <duration>",
      "history from OpenObserve, e.g. 15m, 2h, 1d (where np-agent shipped it)",
      durationMs,
    )
    .action(
      async (
        app: string,
        opts: { follow?: boolean; stderr?: boolean; task?: string; lines: number; since?: number },
        cmd: Command,
      ) => {
        const { logs } = await import("../actions/logs.js");
        await logs(contextFrom(cmd, signal), app, {
          follow: Boolean(opts.follow),
          stderr: Boolean(opts.stderr),
          lines: opts.lines,
          ...(opts.task !== undefined && { task: opts.task }),
          ...(opts.since !== undefined && { sinceMs: opts.since }),
        });
      },
    );
};
