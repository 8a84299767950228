import { OperationError } from "../../errors.js";
import { asRoot } from "../../remote/command.js";
import { waitForQuorate } from "../cluster-quorum.js";
import type { HostRun, Phase, RunContext, Service } from "../context.js";
import { eachHost } from "../each-host.js";
import { restartPaid } from "../restart-marker.js";

const SERVICE_ORDER: Service[] = ["consul", "nomad"];

/** What a service needs on a host: nothing, a first start, or a restart because its files changed. */
export function actionFor(host: HostRun, service: Service): "start" | "restart" | null {
  if (!host.services.includes(service)) return null;
  const unit = host.state.units.get(service);
  if (unit?.active !== "active") return "start";
  return host.restart.has(service) ? "restart" : null;
}

/**
 * Reloads units, enables services and starts or restarts only what changed. Consul before Nomad. Servers that
 * are already running restart one at a time, each gated on autopilot health, so the cluster never loses quorum;
 * servers not yet running start together (bootstrap_expect needs them all).
 */
export const startServices: Phase = {
  title: "start services",
  async run(ctx) {
    await eachHost(ctx, ctx.hosts, async (host) => {
      const user = host.spec.ssh.user;
      const stale = host.daemonReload || [...host.state.units.values()].some((u) => u.needsDaemonReload);
      if (stale) {
        await ctx.gate.wet(
          { host: host.spec.name, kind: "daemon-reload", target: "systemd", detail: "reload unit files" },
          () => host.conn.run(asRoot(["systemctl", "daemon-reload"], user)).then(() => {}),
        );
      }
      for (const service of host.services) {
        if (host.state.units.get(service)?.enabled) continue;
        await ctx.gate.wet(
          { host: host.spec.name, kind: "enable", target: `${service}.service`, detail: "enable at boot" },
          () =>
            host.conn
              .run(asRoot(["systemctl", "enable", "--quiet", `${service}.service`], user))
              .then(() => {}),
        );
      }
    });
    for (const service of SERVICE_ORDER) {
      const servers = ctx.hosts.filter((h) => h.spec.roles.includes("server"));
      const others = ctx.hosts.filter((h) => !h.spec.roles.includes("server"));
      await eachHost(
        ctx,
        servers.filter((h) => actionFor(h, service) === "start"),
        (h) => apply(ctx, h, service, "start"),
      );
      for (const h of servers.filter((s) => actionFor(s, service) === "restart")) {
        await apply(ctx, h, service, "restart");
        if (ctx.gate.dryRun) continue;
        ctx.out.host(
          h.spec.name,
          `${service} restarted; waiting for the ${service} servers to be healthy before going on`,
        );
        const r = await waitForQuorate(ctx, service, ctx.quorumTimeoutMs, h);
        if (!r.ok) {
          throw new OperationError(
            `${h.spec.name}: ${service} did not become healthy after its restart; stopped before restarting other servers`,
            `run \`np status\` to see the servers, and \`journalctl -u ${service}\` on the host`,
          );
        }
      }
      await eachHost(
        ctx,
        others.filter((h) => actionFor(h, service) !== null),
        (h) => apply(ctx, h, service, actionFor(h, service) as "start" | "restart"),
      );
    }
  },
};

async function apply(
  ctx: RunContext,
  host: HostRun,
  service: Service,
  action: "start" | "restart",
): Promise<void> {
  const detail = action === "start" ? `start ${service}` : `restart ${service} (its files changed)`;
  await ctx.gate.wet(
    { host: host.spec.name, kind: action, target: `${service}.service`, detail },
    async () => {
      ctx.out.host(host.spec.name, `${action === "start" ? "starting" : "restarting"} ${service}`);
      await host.conn.run(asRoot(["systemctl", action, `${service}.service`], host.spec.ssh.user), {
        timeoutMs: 120_000,
      });
      await restartPaid(host, service);
    },
  );
}
