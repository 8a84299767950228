import { HostError } from "../../errors.js";
import { gatherFacts } from "../../preflight/gather.js";
import { parallelEach, throwIfFailed } from "../../remote/parallel.js";
import { desiredDirs, desiredFiles, HOST_PATHS, runsNomad } from "../../render/index.js";
import type { HostRun, Phase, Service } from "../context.js";
import { type HostState, parseHostState } from "../host-state.js";
import { STATE_SCRIPT } from "../state-script.js";

/** Where each service's binary is installed. */
export const BINARY_PATHS: Record<Service, string> = {
  consul: HOST_PATHS.consulBinary,
  nomad: HOST_PATHS.nomadBinary,
};

/**
 * Connects to every host and reads, in one round trip per host, the preflight facts and the actual state of
 * every path, unit and user np manages there.
 */
export const gather: Phase = {
  title: "connect and gather facts",
  async run(ctx) {
    if (!ctx.secrets) throw new Error("secrets must be loaded before gathering");
    const secrets = ctx.secrets;
    const { results, failures } = await parallelEach(
      ctx.inv.hosts,
      (spec) => spec.name,
      async (spec): Promise<HostRun> => {
        const conn = await ctx.session.connect(spec);
        // Consul everywhere, Nomad on servers and clients.
        const services: Service[] = runsNomad(spec) ? ["consul", "nomad"] : ["consul"];
        const files = desiredFiles(ctx.inv, spec, secrets);
        const dirs = desiredDirs(spec);
        const paths = [
          ...dirs.map((d) => d.path),
          ...files.map((f) => f.path),
          ...services.map((s) => BINARY_PATHS[s]),
        ];
        const gathered = await gatherFacts(conn, {
          signal: ctx.signal,
          extra: { script: STATE_SCRIPT, args: paths },
        });
        ctx.out.debug(`${spec.name}: gathered facts and state in ${gathered.tookMs} ms`);
        let state: HostState;
        try {
          state = parseHostState(gathered.output, gathered.nonce);
        } catch (err) {
          throw new HostError(spec.name, `cannot read the host's state: ${(err as Error).message}`);
        }
        return {
          spec,
          conn,
          facts: gathered.facts,
          clockOffsetMs: gathered.clockOffsetMs,
          state,
          files,
          dirs,
          binaries: [],
          services,
          restart: new Set(
            [...state.pendingRestarts].filter((s): s is Service => s === "consul" || s === "nomad"),
          ),
          daemonReload: false,
        };
      },
    );
    throwIfFailed(failures);
    ctx.hosts = ctx.inv.hosts.map((spec) => results.get(spec) as HostRun);
  },
};
