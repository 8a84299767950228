import { randomBytes } from "node:crypto";
import { HostError } from "../errors.js";
import { asRoot, shScript } from "../remote/command.js";
import { exitError, type SshConnection } from "../remote/connection.js";
import { sudoFailure } from "../remote/sudo.js";
import { FACTS_SCRIPT, SCRIPT_NAME } from "./facts-script.js";
import { type HostFacts, parseFacts } from "./parse-facts.js";

export interface GatheredFacts {
  facts: HostFacts;
  /**
   * Host clock minus the operator's clock at the midpoint of the round trip, in ms; 0 when the host's clock
   * could not be read (then facts.timeMs is null and preflight refuses the host).
   */
  clockOffsetMs: number;
  /** The whole output, for the caller's own script's sections. */
  output: string;
  /** This run's section nonce: `splitSections(output, nonce)` reads the caller's own sections. */
  nonce: string;
  /** How long the round trip took, in ms. */
  tookMs: number;
}

/**
 * A script run right after the facts script, in the same round trip, with its arguments as "$@"; it prints its
 * sections with `section NAME` (see FACTS_SCRIPT).
 */
export interface ExtraScript {
  script: string;
  args: string[];
  /** Units (without `.service`) whose systemd properties the script reads from $np_shown (see FACTS_SCRIPT). */
  units?: readonly string[];
}

/**
 * Gathers every fact preflight needs from one host in one round trip (as root, so ports show their process);
 * `np up` appends its state script so the same round trip also reads what it manages. A non-root login runs it
 * through `sudo -n` directly: sudo's own failure (a password is required, sudo missing) is recognised from the
 * same round trip.
 */
export async function gatherFacts(
  conn: SshConnection,
  opts: { signal?: AbortSignal; extra?: ExtraScript } = {},
): Promise<GatheredFacts> {
  const nonce = randomBytes(8).toString("hex");
  const user = conn.endpoint.ssh.user;
  const units = opts.extra?.units ?? [];
  for (const u of units)
    if (!SCRIPT_NAME.test(u)) throw new Error(`not a unit name np reads: ${JSON.stringify(u)}`);
  const unitList = units.map((u) => `${u}.service`).join(" ");
  const argv = asRoot(shScript([nonce, unitList, ...(opts.extra?.args ?? [])]), user);
  const sent = Date.now();
  const r = await conn.exec(argv, {
    stdin: FACTS_SCRIPT + (opts.extra?.script ?? ""),
    timeoutMs: 60_000,
    signal: opts.signal,
    doing: "gathering facts",
  });
  const received = Date.now();
  const ran = r.stdout.includes(`--facts ${nonce}`);
  if (!ran) {
    const sudo = sudoFailure(conn.name, user, r);
    if (sudo) throw sudo;
  }
  if (r.code !== 0) throw exitError(conn.name, argv, r, "gathering facts");
  let facts: HostFacts;
  try {
    facts = parseFacts(r.stdout, nonce);
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
    clockOffsetMs: facts.timeMs === null ? 0 : facts.timeMs - (sent + received) / 2,
    output: r.stdout,
    nonce,
    tookMs: received - sent,
  };
}
