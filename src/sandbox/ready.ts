import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { HostError } from "../errors.js";
import { run } from "./exec.js";
import type { NodePaths } from "./paths.js";
import { nodeProcesses } from "./processes.js";

/** Resolves with sshd's banner line when something at address:port speaks SSH, or rejects. */
function readSshBanner(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: address, port, timeout: timeoutMs });
    let data = "";
    const done = (err?: Error) => {
      socket.destroy();
      if (err) reject(err);
      else resolve(data.split("\n")[0]?.trim() ?? "");
    };
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      if (data.includes("\n"))
        done(data.startsWith("SSH-") ? undefined : new Error(`not SSH: ${data.slice(0, 40)}`));
    });
    socket.on("timeout", () => done(new Error("timed out")));
    socket.on("error", done);
    socket.on("end", () => done(new Error("closed before the SSH banner")));
  });
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Throws when the node died meanwhile, so a crashed node fails fast with its console log. */
  checkAlive?: () => Promise<void>;
}

/**
 * Tries for up to `timeoutMs` to read the SSH banner at address:22. Returns why it never came (the last
 * attempt's error), or undefined once sshd answered.
 */
export async function sshSilence(address: string, opts: WaitOptions): Promise<string | undefined> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    opts.signal?.throwIfAborted();
    await opts.checkAlive?.();
    try {
      await readSshBanner(address, 22, Math.min(2_000, Math.max(250, deadline - Date.now())));
      return undefined;
    } catch (err) {
      if (Date.now() > deadline) return (err as Error).message;
    }
    await sleep(250, undefined, { signal: opts.signal });
  }
}

/** Waits until the node's sshd accepts a TCP connection and sends its banner. */
export async function waitForSsh(name: string, address: string, opts: WaitOptions): Promise<void> {
  const silent = await sshSilence(address, opts);
  if (silent !== undefined)
    throw new HostError(
      name,
      `sshd at ${address}:22 did not answer within ${opts.timeoutMs / 1000}s (${silent})`,
    );
}

/**
 * Waits until systemd inside the node has finished booting (`systemctl is-system-running --wait`, run in the
 * container's namespaces with nsenter) and returns its state: running, or degraded when a unit failed.
 */
export async function waitForSystem(
  nsenter: string,
  name: string,
  node: NodePaths,
  opts: WaitOptions,
): Promise<string> {
  const init = (await nodeProcesses(node)).find((p) => p.kind === "init");
  if (!init) throw new HostError(name, "the node's init process is gone");
  const argv = ["--target", String(init.pid), "--mount", "--uts", "--ipc", "--net", "--pid", "--"];
  const state = await run(nsenter, [...argv, "systemctl", "is-system-running", "--wait"], {
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  }).catch((err: Error) => {
    // is-system-running exits non-zero for "degraded"; its stdout is in the error's tail.
    const m = /(running|degraded|starting|initializing|maintenance|stopping|offline)\s*$/.exec(err.message);
    return m?.[1] ?? `unknown (${err.message})`;
  });
  return state.trim();
}
