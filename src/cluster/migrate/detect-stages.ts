import { CONSUL, consul as consulComponent } from "../../components/consul/index.js";
import {
  CONSUL_FINAL_STAGE,
  type ConsulStage,
  consulStageOf,
} from "../../components/consul/migrate-stages.js";
import { desiredHost, type SecurityStages } from "../../components/index.js";
import { NOMAD, nomad as nomadComponent } from "../../components/nomad/index.js";
import { NOMAD_FINAL_STAGE, type NomadStage, nomadStageOf } from "../../components/nomad/migrate-stages.js";
import { isServer } from "../../components/servers.js";
import { HostError } from "../../errors.js";
import { sha256 } from "../../remote/upload.js";
import type { HostRun, Phase, RunContext } from "../context.js";
import { eachHost } from "../each-host.js";
import { readConsulSettings } from "./consul-settings.js";
import { readNomadSettings } from "./nomad-settings.js";

/**
 * Where each host stands in the migration to TLS and ACLs, read from the host itself, per component (Consul, and
 * Nomad where it runs): a host without the component's config is new (it starts at the final stage, like a fresh
 * cluster), one whose config is np's final render is done, and any other has its TLS and ACL settings read (never
 * its secrets) and matched with the stages. Hosts that are not at the final stage get their files rendered for
 * their stages. Changes nothing; `np plan` runs it too.
 */
export const detectSecurityStages: Phase = {
  title: "security stage of each host",
  async run(ctx) {
    await eachHost(ctx, ctx.hosts, async (host) => {
      const [consul, nomad] = await Promise.all([consulStageOn(host), nomadStageOn(host)]);
      if (consul === CONSUL_FINAL_STAGE && nomad === NOMAD_FINAL_STAGE) return;
      setStages(ctx, host, { consul, nomad });
    });
    // Servers that have no TLS yet serve no HTTPS either: np reaches them over plain HTTP until their first step
    // restarted them (a server whose file of that step was written, its restart cut off, still serves plain).
    const plainOn = (plain: (s: SecurityStages, owed: Set<string>) => boolean) =>
      new Set(
        ctx.hosts
          .filter((h) => isServer(h.spec) && h.stages && plain(h.stages, h.restart))
          .map((h) => h.spec.name),
      );
    ctx.tunnels.consulAccess.plainHttp = plainOn(
      (s, owed) => s.consul === "gossip" || (s.consul === "tls-accept" && owed.has(CONSUL_UNIT)),
    );
    ctx.tunnels.nomadAccess.plainHttp = plainOn(
      (s, owed) => s.nomad === "plain" || (s.nomad === "tls-upgrade" && owed.has(NOMAD_UNIT)),
    );
  },
};

const CONSUL_UNIT = consulComponent.unit;
const NOMAD_UNIT = nomadComponent.unit;

/** Records a host's stages and renders its files for them. */
export function setStages(
  ctx: RunContext,
  host: HostRun,
  stages: { consul: ConsulStage; nomad: NomadStage },
): void {
  if (!ctx.secrets) throw new Error("secrets must be loaded before rendering");
  host.stages = stages;
  const final = stages.consul === CONSUL_FINAL_STAGE && stages.nomad === NOMAD_FINAL_STAGE;
  host.desired = desiredHost(ctx.inv, host.spec, ctx.secrets, final ? undefined : stages);
}

/** The host's Consul stage (gather rendered its files for the final stage). */
const consulStageOn = (host: HostRun): Promise<ConsulStage> =>
  stageOn(host, CONSUL.config, CONSUL_FINAL_STAGE, readConsulSettings, consulStageOf);

/** The host's Nomad stage (final where Nomad is not installed: nothing to migrate, or a new host). */
const nomadStageOn = (host: HostRun): Promise<NomadStage> =>
  stageOn(host, NOMAD.config, NOMAD_FINAL_STAGE, readNomadSettings, nomadStageOf);

/**
 * A component's stage on a host: final without its config (new) or with np's final render, else the stage its
 * config's TLS and ACL settings are; settings of no stage are refused, naming the host.
 */
export async function stageOn<S extends string, T>(
  host: HostRun,
  config: string,
  final: S,
  read: (host: HostRun, config: string) => Promise<T>,
  match: (settings: T, server: boolean) => S | null,
): Promise<S> {
  const have = host.state.paths.get(config);
  if (have?.kind !== "file") return final;
  const rendered = host.desired.files.find((f) => f.path === config);
  if (!rendered || have.sha256 === sha256(rendered.content)) return final;
  const settings = await read(host, config);
  // A host changing its role (a client made a server to replace a lost one) has the other role's file: its
  // stage is read as that role's (the final one then renders the new role's files).
  const server = isServer(host.spec);
  const stage = match(settings, server) ?? match(settings, !server);
  if (stage) return stage;
  throw new HostError(
    host.spec.name,
    `${config} has TLS and ACL settings np did not write at any step of its migration to TLS and ACLs (${JSON.stringify(settings)}), so np cannot tell which step this host is at`,
    `put back the file np wrote (or its TLS and ACL settings), then run \`np up\` again`,
  );
}
