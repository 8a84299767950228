import path from "node:path";
import { OpenObserveApi } from "../../api/openobserve.js";
import { tunnelDispatcher } from "../../api/tunnel.js";
import { desiredHost, npAgentComponent } from "../../components/index.js";
import { AGENT_USER_SECRET, INGEST_PASSCODE, NP_AGENT } from "../../components/np-agent/index.js";
import { OPENOBSERVE, ROOT_SECRET, rootEmail } from "../../components/openobserve/index.js";
import { SecretStore } from "../../secrets/index.js";
import { loadClusterSecrets } from "../cluster-secrets.js";
import type { Phase, RunContext } from "../context.js";
import { eachHost } from "../each-host.js";
import { restartNow } from "./start-services.js";
import { convergeFile } from "./write-files.js";

/**
 * The agents' OpenObserve credential, made once: np creates OpenObserve user np-agent@np.local (as root) and keeps
 * the passcode OpenObserve hands that user (accepted only for ingestion) in .np/secrets. Then every agent's config
 * gets it and the agents restart to read it. Later runs render the configs with it from the start: nothing to do.
 */
export const ingestCredential: Phase = {
  title: "OpenObserve ingest credential",
  shouldRun: (ctx) => ctx.hosts.some((h) => h.spec.roles.includes("observe")),
  async run(ctx) {
    if (!ctx.secrets || ctx.secrets.find(INGEST_PASSCODE.name)) return;
    const observe = ctx.hosts.find((h) => h.spec.roles.includes("observe"));
    if (!observe) return;
    const secrets = ctx.secrets;
    await ctx.gate.wet(
      {
        host: observe.spec.name,
        kind: "credential",
        target: `openobserve user ${NP_AGENT.ingestUser}`,
        detail: "create the agents' OpenObserve user and keep its ingest-only passcode in .np/secrets",
      },
      async () => {
        const dispatcher = await tunnelDispatcher(
          observe.conn,
          observe.spec.privateAddress,
          OPENOBSERVE.httpPort,
        );
        try {
          const api = new OpenObserveApi(
            `http://${observe.spec.privateAddress}:${OPENOBSERVE.httpPort}`,
            dispatcher,
          );
          const agent = {
            email: NP_AGENT.ingestUser,
            password: secrets.get(AGENT_USER_SECRET.name).reveal(),
          };
          const root = { email: rootEmail(ctx.inv), password: secrets.get(ROOT_SECRET.name).reveal() };
          await api.ensureUser(root, { ...agent, firstName: "np-agent" });
          const store = new SecretStore(path.join(ctx.inv.dir, ".np"));
          await store.save(INGEST_PASSCODE, await api.passcode(agent));
          ctx.secrets = (await loadClusterSecrets(ctx.inv)).secrets;
        } finally {
          await dispatcher.destroy().catch(() => {});
        }
        await giveAgentsTheCredential(ctx);
      },
    );
  },
};

/** Rewrites every agent's config with the credential and restarts the agents (they read it at start). */
async function giveAgentsTheCredential(ctx: RunContext): Promise<void> {
  const agent = npAgentComponent();
  const secrets = ctx.secrets;
  if (!secrets) return;
  await eachHost(ctx, ctx.hosts, async (host) => {
    const config = desiredHost(ctx.inv, host.spec, secrets).files.find((f) => f.path === NP_AGENT.config);
    if (!config) return;
    await convergeFile(ctx, host, config);
    await restartNow(ctx, host, agent);
  });
}
