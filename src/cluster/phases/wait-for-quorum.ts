import { OperationError } from "../../errors.js";
import { asRoot } from "../../remote/command.js";
import { waitForQuorate } from "../cluster-quorum.js";
import { type HostRun, type Phase, type RunContext, type Service, withRole } from "../context.js";

/** Waits until Consul and Nomad (in parallel) have a leader and every server is a healthy voter. */
export const waitForQuorum: Phase = {
  title: "wait for quorum",
  shouldRun: (ctx) => !ctx.gate.dryRun,
  async run(ctx) {
    const servers = withRole(ctx, "server");
    // Nothing (re)started in this run: one healthy reading is proof enough; otherwise it must hold.
    const started = ctx.gate.changes.some((c) => c.kind === "start" || c.kind === "restart");
    const services = ["consul", "nomad"] as const;
    const readings = await Promise.all(
      services.map((s) => waitForQuorate(ctx, s, ctx.quorumTimeoutMs, undefined, started ? 2 : 1)),
    );
    for (const [i, service] of services.entries()) {
      const r = readings[i] as Awaited<ReturnType<typeof waitForQuorate>>;
      if (r.ok && r.last) {
        ctx.out.info(
          `${service}: leader ${r.last.leader}, ${r.last.voters} voters, failure tolerance ${r.last.failureTolerance}`,
        );
        continue;
      }
      const report = await diagnose(ctx, service, servers);
      throw new OperationError(
        `${service} has no healthy quorum after ${Math.round(ctx.quorumTimeoutMs / 1000)}s:\n${report}`,
        "fix what the journal shows and run `np up` again; it continues from where it stopped",
      );
    }
  },
};

/** Which servers see which peers, and the journal tail of every unit that is not running or not answering. */
async function diagnose(ctx: RunContext, service: Service, servers: HostRun[]): Promise<string> {
  const lines = await Promise.all(
    servers.map(async (h) => {
      const user = h.spec.ssh.user;
      let seen: string;
      let failing = false;
      try {
        const peers = await ctx.tunnels.for(service, h.conn, h.spec.privateAddress).peers();
        seen = `sees peers ${peers.length > 0 ? peers.join(", ") : "(none)"}`;
      } catch (err) {
        seen = `API not answering (${(err as Error).message})`;
        failing = true;
      }
      const active = (await h.conn.exec(["systemctl", "is-active", `${service}.service`])).stdout.trim();
      failing ||= active !== "active";
      let journal = "";
      if (failing) {
        const j = await h.conn.exec(
          asRoot(["journalctl", "-u", `${service}.service`, "-n", "15", "--no-pager", "-o", "cat"], user),
        );
        journal = `\n${j.stdout
          .trimEnd()
          .split("\n")
          .map((l) => `     ${l}`)
          .join("\n")}`;
      }
      return ` - ${h.spec.name}: ${service} ${active}, ${seen}${journal}`;
    }),
  );
  return lines.join("\n");
}
