import path from "node:path";
import { HostError } from "../errors.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import { isProgrammingError } from "../programming-error.js";
import { Session } from "../remote/session.js";
import { gatherFacts } from "./gather.js";
import {
  type HostUnderCheck,
  type HostVerdict,
  judgeAcrossHosts,
  judgeHost,
  unreachableVerdict,
} from "./judge.js";

/** Connects to every host, gathers facts and judges them; changes nothing on any host. */
export async function checkHosts(inv: Inventory, out: Output, signal: AbortSignal): Promise<HostVerdict[]> {
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  try {
    const byName = new Map(inv.hosts.map((h) => [h.name, h]));
    const results = await out.hostProgress([...byName.keys()], (name) => async (update) => {
      const host = byName.get(name) as HostSpec;
      const under = underCheck(inv, host);
      try {
        update("connecting");
        const conn = await session.connect(host);
        update("gathering facts");
        const { facts, clockOffsetMs } = await gatherFacts(conn, { signal });
        const verdict = judgeHost(under, facts, clockOffsetMs);
        return { result: verdict, summary: summarize(verdict) };
      } catch (err) {
        if (!(err instanceof HostError)) throw err;
        const reason = err.message.replace(`${name}: `, "") + (err.hint ? ` (${err.hint})` : "");
        if (out.verbose && err.stderr) out.debug(`${name}: ${err.stderr}`);
        return { result: unreachableVerdict(under, reason), summary: reason };
      }
    });
    const verdicts = inv.hosts.map((h) => {
      const outcome = results.get(h.name);
      if (outcome?.ok) return outcome.result;
      // Any other failure (a plain Error from a dropped connection) is that host's own result; a bug in np is not.
      const error = outcome?.error ?? new Error("no result");
      if (isProgrammingError(error)) throw error;
      return unreachableVerdict(underCheck(inv, h), error.message.replace(`${h.name}: `, ""));
    });
    judgeAcrossHosts(verdicts);
    return verdicts;
  } finally {
    session.close();
  }
}

function underCheck(inv: Inventory, host: HostSpec): HostUnderCheck {
  return {
    name: host.name,
    address: host.address,
    roles: host.roles,
    override: inv.preflightOverrides[host.name],
  };
}

function summarize(v: HostVerdict): string {
  if (!v.facts) return "unreachable";
  const f = v.facts;
  const what = `${f.os.pretty}, ${f.arch}, ${f.cpus} CPU, ${f.memory.totalMb} MB RAM`;
  return v.problems.length === 0 ? `ok (${what})` : `refused (${what})`;
}
