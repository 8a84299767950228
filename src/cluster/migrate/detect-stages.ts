import { CONSUL } from "../../components/consul/index.js";
import {
  CONSUL_FINAL_STAGE,
  type ConsulStage,
  consulStageOf,
} from "../../components/consul/migrate-stages.js";
import { desiredHost } from "../../components/index.js";
import { isServer } from "../../components/servers.js";
import { HostError } from "../../errors.js";
import { sha256 } from "../../remote/upload.js";
import type { HostRun, Phase, RunContext } from "../context.js";
import { eachHost } from "../each-host.js";
import { readConsulSettings } from "./consul-settings.js";

/**
 * Where each host stands in the migration to TLS and ACLs, read from the host itself: a host without consul.hcl
 * is new (it starts at the final stage, like a fresh cluster), one whose consul.hcl is np's final render is done,
 * and any other has its TLS and ACL settings read (never its secrets) and matched with the stages. Hosts that are
 * not at the final stage get their files rendered for their stage. Changes nothing; `np plan` runs it too.
 */
export const detectSecurityStages: Phase = {
  title: "security stage of each host",
  async run(ctx) {
    await eachHost(ctx, ctx.hosts, async (host) => {
      const consul = await consulStageOn(host);
      if (consul === CONSUL_FINAL_STAGE) return;
      setStages(ctx, host, { consul });
    });
    // Servers that have no TLS yet serve no HTTPS either: np reaches them over plain HTTP until their first step.
    ctx.tunnels.consulAccess.plainHttp = new Set(
      ctx.hosts.filter((h) => isServer(h.spec) && h.stages?.consul === "gossip").map((h) => h.spec.name),
    );
  },
};

/** Records a host's stages and renders its files for them. */
export function setStages(ctx: RunContext, host: HostRun, stages: { consul: ConsulStage }): void {
  if (!ctx.secrets) throw new Error("secrets must be loaded before rendering");
  host.stages = stages;
  host.desired = desiredHost(
    ctx.inv,
    host.spec,
    ctx.secrets,
    stages.consul === CONSUL_FINAL_STAGE ? undefined : stages,
  );
}

/** The host's Consul stage (gather rendered its files for the final stage). */
async function consulStageOn(host: HostRun): Promise<ConsulStage> {
  const have = host.state.paths.get(CONSUL.config);
  if (have?.kind !== "file") return CONSUL_FINAL_STAGE;
  const final = host.desired.files.find((f) => f.path === CONSUL.config);
  if (final && have.sha256 === sha256(final.content)) return CONSUL_FINAL_STAGE;
  const settings = await readConsulSettings(host, CONSUL.config);
  const stage = consulStageOf(settings, isServer(host.spec));
  if (stage) return stage;
  throw new HostError(
    host.spec.name,
    `${CONSUL.config} has TLS and ACL settings np did not write at any step of its migration to TLS and ACLs (${JSON.stringify(settings)}), so np cannot tell which step this host is at`,
    `put back the file np wrote (or its TLS and ACL settings), then run \`np up\` again`,
  );
}
