import type { Phase } from "../context.js";
import { announceMigration } from "./pending-steps.js";
import { runSteps } from "./run-steps.js";
import { SECURITY_STEPS } from "./steps.js";

/**
 * A cluster made by an earlier np (gossip only) is moved towards TLS and ACLs before anything else is written:
 * every step up to the one that makes ACLs deny, so the tokens every other component's files hold exist (and are
 * still not needed) when those files are written and their services restarted. A fresh or migrated cluster has
 * no step to run. `np plan` lists each step's writes and restarts.
 */
export const migrateSecurity: Phase = {
  title: "migrate to TLS and ACLs",
  shouldRun: (ctx) => ctx.hosts.some((h) => h.stages !== undefined),
  async run(ctx) {
    announceMigration(ctx);
    await runSteps(
      ctx,
      SECURITY_STEPS.filter((s) => !s.afterServices),
    );
  },
};

/** The migration's last steps (ACLs deny), once every service restarted with its token. */
export const finishSecurity: Phase = {
  title: "finish the migration to TLS and ACLs",
  shouldRun: (ctx) => ctx.hosts.some((h) => h.stages !== undefined),
  run: (ctx) =>
    runSteps(
      ctx,
      SECURITY_STEPS.filter((s) => s.afterServices),
    ),
};
