import path from "node:path";
import { secretsFor } from "../../components/index.js";
import { SecretStore } from "../../secrets/index.js";
import type { Phase } from "../context.js";

/** The secrets the inventory's components need: generated once into `.np/secrets/`, then reused by every run. */
export const loadSecrets: Phase = {
  title: "cluster secrets",
  async run(ctx) {
    ctx.secrets = await new SecretStore(path.join(ctx.inv.dir, ".np")).load(secretsFor(ctx.inv));
  },
};
