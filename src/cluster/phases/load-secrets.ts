import path from "node:path";
import { loadOrCreateSecrets } from "../../secrets/index.js";
import type { Phase } from "../context.js";

/** Gossip keys: generated once into `.np/` beside the inventory, then reused by every run. */
export const loadSecrets: Phase = {
  title: "cluster secrets",
  async run(ctx) {
    ctx.secrets = await loadOrCreateSecrets(path.join(ctx.inv.dir, ".np"));
  },
};
