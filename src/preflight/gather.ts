import { HostError } from "../errors.js";
import { asRoot, shScript } from "../remote/command.js";
import type { SshConnection } from "../remote/connection.js";
import { ensureRoot } from "../remote/sudo.js";
import { FACTS_SCRIPT } from "./facts-script.js";
import { type HostFacts, parseFacts } from "./parse-facts.js";

export interface GatheredFacts {
  facts: HostFacts;
  /** Host clock minus the operator's clock at the midpoint of the round trip, in ms. */
  clockOffsetMs: number;
  /** The whole output, for the caller's own script's sections. */
  output: string;
  /** How long the round trip took, in ms. */
  tookMs: number;
}

/** A script run right after the facts script, in the same round trip, with its arguments as "$@". */
export interface ExtraScript {
  script: string;
  args: string[];
}

/**
 * Gathers every fact preflight needs from one host in one round trip (as root, so ports show their process);
 * `np up` appends its state script so the same round trip also reads what it manages.
 */
export async function gatherFacts(
  conn: SshConnection,
  opts: { signal?: AbortSignal; extra?: ExtraScript } = {},
): Promise<GatheredFacts> {
  await ensureRoot(conn);
  const sent = Date.now();
  const r = await conn.run(asRoot(shScript(opts.extra?.args ?? []), conn.endpoint.ssh.user), {
    stdin: FACTS_SCRIPT + (opts.extra?.script ?? ""),
    timeoutMs: 60_000,
    signal: opts.signal,
  });
  const received = Date.now();
  let facts: HostFacts;
  try {
    facts = parseFacts(r.stdout);
  } catch (err) {
    throw new HostError(
      conn.name,
      `cannot read the host's facts: ${(err as Error).message}`,
      undefined,
      r.stderr,
    );
  }
  return {
    facts,
    clockOffsetMs: facts.timeMs - (sent + received) / 2,
    output: r.stdout,
    tookMs: received - sent,
  };
}
