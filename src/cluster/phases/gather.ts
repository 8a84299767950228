import { desiredHost } from "../../components/index.js";
import { HostError } from "../../errors.js";
import { gatherFacts } from "../../preflight/gather.js";
import { parallelEach, throwIfFailed } from "../../remote/parallel.js";
import type { HostRun, Phase } from "../context.js";
import { type HostState, parseHostState, UnreadableState } from "../host-state.js";
import { STATE_SCRIPT, stateArgs } from "../state-script.js";

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
        const desired = desiredHost(ctx.inv, spec, secrets);
        const units = desired.components.map((c) => c.unit);
        const args = stateArgs({
          paths: [
            ...desired.dirs.map((d) => d.path),
            ...desired.files.map((f) => f.path),
            ...desired.binaries.map((b) => b.path),
          ],
          users: desired.users.map((u) => u.name),
        });
        const gathered = await gatherFacts(conn, {
          signal: ctx.signal,
          extra: { script: STATE_SCRIPT, args, units },
        });
        ctx.out.debug(`${spec.name}: gathered facts and state in ${gathered.tookMs} ms`);
        let state: HostState;
        try {
          state = parseHostState(gathered.output, gathered.nonce, units);
        } catch (err) {
          if (!(err instanceof UnreadableState)) throw err;
          throw new HostError(
            spec.name,
            `cannot read the host's state: ${err.message}`,
            "check systemd and coreutils on the host; np changes nothing on a host it cannot read",
          );
        }
        return {
          spec,
          conn,
          facts: gathered.facts,
          clockOffsetMs: gathered.clockOffsetMs,
          state,
          desired,
          binaries: [],
          restart: new Set([...state.pendingRestarts].filter((u) => units.includes(u))),
          reload: new Set(
            [...state.pendingRestarts]
              .filter((m) => m.endsWith(".reload"))
              .map((m) => m.slice(0, -".reload".length))
              .filter((u) => units.includes(u)),
          ),
          daemonReload: false,
        };
      },
    );
    throwIfFailed(failures);
    ctx.hosts = ctx.inv.hosts.map((spec) => results.get(spec) as HostRun);
  },
};
