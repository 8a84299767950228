import path from "node:path";
import type { Command } from "commander";
import { contextFrom, displayPath } from "../context.js";
import type { RegisterCommand } from "./index.js";

/** `np init`: write a commented inventory to fill in; `np init app`: a commented np.yaml. */
export const registerInit: RegisterCommand = (program: Command, signal: AbortSignal) => {
  const init = program
    .command("init")
    .description(
      "write a commented inventory.yaml (a 5-host example) to fill in; `np init app` writes an np.yaml",
    )
    .configureHelp({ showGlobalOptions: true })
    .option("--path <file>", "where to write it (default: -i FILE, $NP_INVENTORY or ./inventory.yaml)")
    .option("--force", "overwrite the file if it exists")
    .addHelpText(
      "after",
      "\nAlso writes inventory.schema.json beside it, so editors with the YAML language server complete and check it.\n" +
        "Exit codes: 0 written, 2 the file exists (pass --force).",
    )
    .action(async (opts: { path?: string; force?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      const target = opts.path ? path.resolve(ctx.cwd, opts.path) : ctx.inventoryPath;
      const shown = displayPath({ ...ctx, inventoryPath: target });
      const { initInventory } = await import("../actions/init.js");
      const written = await initInventory(target, { force: Boolean(opts.force), shown });
      ctx.out.info(`wrote ${shown} (and ${path.basename(written.schema)} for editor completion)`);
      ctx.out.info("next: replace the example addresses and roles with your hosts', then run `np validate`");
    });
  init
    .command("app")
    .description("write a commented np.yaml (an app for np deploy) and np.schema.json beside it")
    .configureHelp({ showGlobalOptions: true })
    .option("--path <file>", "where to write it", "np.yaml")
    .option("--force", "overwrite the file if it exists")
    .addHelpText("after", "\nExit codes: 0 written, 2 the file exists (pass --force).")
    .action(async (opts: { path: string; force?: boolean }, cmd: Command) => {
      const ctx = contextFrom(cmd, signal);
      const target = path.resolve(ctx.cwd, opts.path);
      const shown = displayPath({ ...ctx, inventoryPath: target });
      const { initApp } = await import("../actions/init-app.js");
      const written = await initApp(target, { force: Boolean(opts.force), shown });
      ctx.out.info(`wrote ${shown} (and ${path.basename(written.schema)} for editor completion)`);
      ctx.out.info(
        "next: set what to run (image or command), domains and env, then run `np deploy --dry-run`",
      );
    });
};
