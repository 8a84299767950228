import { parallelEach, throwIfFailed } from "../remote/parallel.js";
import type { HostRun, RunContext } from "./context.js";

/** Runs `fn` on the given hosts in parallel; every failure is reported with its host, after all have finished. */
export async function eachHost(
  _ctx: RunContext,
  hosts: HostRun[],
  fn: (host: HostRun) => Promise<void>,
): Promise<void> {
  const { failures } = await parallelEach(hosts, (h) => h.spec.name, fn);
  throwIfFailed(failures);
}
