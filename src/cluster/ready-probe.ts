import { tunnelDispatcher } from "../api/tunnel.js";
import { undici } from "../api/undici.js";
import type { ReadyProbe } from "../components/types.js";
import type { SshConnection } from "../remote/connection.js";
import { pollUntil } from "./quorum.js";

/**
 * Asks a component's readiness endpoint, through the host's own SSH connection, until it answers 200 or the time
 * runs out. Returns why not, in words, for the error message.
 */
export async function probeReady(
  conn: SshConnection,
  probe: ReadyProbe,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<{ ok: boolean; why: string }> {
  const [{ request }, dispatcher] = await Promise.all([
    undici(),
    tunnelDispatcher(conn, probe.host, probe.port),
  ]);
  let why = "got no answer";
  try {
    const r = await pollUntil(
      async () => {
        const res = await request(`http://${probe.host}:${probe.port}${probe.path}`, {
          dispatcher,
          headersTimeout: 5000,
          bodyTimeout: 5000,
        });
        const body = (await res.body.text()).trim();
        why = `answered HTTP ${res.statusCode}${body ? `: ${body.slice(0, 200)}` : ""}`;
        return res.statusCode;
      },
      (status) => status === 200,
      {
        timeoutMs: opts.timeoutMs,
        intervalMs: 500,
        readingsInARow: 1,
        signal: opts.signal,
        giveUp: () => (conn.isLost ? "the connection was lost" : undefined),
      },
    );
    if (r.gaveUp) why = r.gaveUp;
    else if (!r.ok && r.lastError) why = `got no answer (${(r.lastError as Error).message})`;
    return { ok: r.ok, why };
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}
