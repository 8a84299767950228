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
}

/** Gathers every fact preflight needs from one host in one round trip (as root, so ports show their process). */
export async function gatherFacts(conn: SshConnection, signal?: AbortSignal): Promise<GatheredFacts> {
  await ensureRoot(conn);
  const sent = Date.now();
  const r = await conn.run(asRoot(shScript(), conn.endpoint.ssh.user), {
    stdin: FACTS_SCRIPT,
    timeoutMs: 30_000,
    signal,
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
  return { facts, clockOffsetMs: facts.timeMs - (sent + received) / 2 };
}
