import path from "node:path";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { Output } from "../output/port.js";
import { asHostFailure } from "../remote/parallel.js";
import { Session } from "../remote/session.js";
import { gatherFacts } from "./gather.js";
import { type HostVerdict, judgeAcrossHosts, judgeHost, unreachableVerdict } from "./judge.js";
import type { HostFacts } from "./parse-facts.js";
import { underCheck } from "./under-check.js";

/** Gathers one host's facts, saying what it is doing through `update`. */
export type FactsProbe = (
  host: HostSpec,
  update: (message: string) => void,
) => Promise<{ facts: HostFacts; clockOffsetMs: number }>;

/** Connects to every host, gathers facts and judges them; changes nothing on any host. */
export async function checkHosts(inv: Inventory, out: Output, signal: AbortSignal): Promise<HostVerdict[]> {
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  try {
    return await checkEachHost(inv, out, async (host, update) => {
      update("connecting");
      const conn = await session.connect(host);
      update("gathering facts");
      return gatherFacts(conn, { signal });
    });
  } finally {
    await session.close();
  }
}

/**
 * Judges every host with what `probe` gathers. Each host gets its own verdict whatever happens to the others:
 * a host whose probe fails (a HostError, or any other remote failure such as ssh2's plain Errors) is reported
 * unreachable with the reason. A programming error or Ctrl-C is no host's result: it is thrown as itself once
 * every host has finished.
 */
export async function checkEachHost(
  inv: Pick<Inventory, "hosts" | "preflightOverrides">,
  out: Output,
  probe: FactsProbe,
): Promise<HostVerdict[]> {
  const byName = new Map(inv.hosts.map((h) => [h.name, h]));
  const under = (host: HostSpec) => underCheck(inv, host);
  const outcomes = await out.hostProgress([...byName.keys()], (name) => async (update) => {
    const host = byName.get(name);
    if (!host) throw new Error(`no host ${name} in the inventory`);
    const { facts, clockOffsetMs } = await probe(host, update);
    const verdict = judgeHost(under(host), facts, clockOffsetMs);
    return { result: verdict, summary: summarize(verdict) };
  });
  const verdicts = inv.hosts.map((h) => {
    const outcome = outcomes.get(h.name);
    if (!outcome) return unreachableVerdict(under(h), "np got no result for this host");
    if (outcome.ok) return outcome.result;
    // A host's failure (a HostError, or a plain Error such as ssh2's) is its own result; asHostFailure rethrows
    // a programming error or Ctrl-C, once every host has finished.
    const failure = asHostFailure(h.name, outcome.error);
    if (out.verbose && failure.stderr) out.debug(`${h.name}: ${failure.stderr}`);
    const reason = failure.message.replace(`${h.name}: `, "") + (failure.hint ? ` (${failure.hint})` : "");
    return unreachableVerdict(under(h), reason);
  });
  judgeAcrossHosts(verdicts);
  return verdicts;
}

function summarize(v: HostVerdict): string {
  if (!v.facts) return "unreachable";
  const f = v.facts;
  const cpus = f.cpus === null ? "? CPU" : `${f.cpus} CPU`;
  const ram = f.memory.totalMb === null ? "? MB RAM" : `${f.memory.totalMb} MB RAM`;
  const what = `${f.os.pretty}, ${f.arch || "?"}, ${cpus}, ${ram}`;
  return v.problems.length === 0 ? `ok (${what})` : `refused (${what})`;
}
