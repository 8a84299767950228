// One real Consul 1.8.7 dev agent on loopback for contract tests. Ports are picked free, but another test may
// take one between our pick and Consul's bind (vitest runs files in parallel): when the agent exits before it
// serves, start it again on fresh ports; when it never serves, fail with what it printed.
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { consulBinary } from "./consul-binary.js";

export interface ConsulDev {
  /** `http://127.0.0.1:<port>` */
  url: string;
  port: number;
  proc: ChildProcess;
  stop(): void;
}

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A port free for TCP and UDP both: Consul's Serf and DNS ports take both. */
async function freeTcpUdpPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    const udp = createSocket("udp4");
    const free = await new Promise<boolean>((resolve) => {
      udp.once("error", () => resolve(false));
      udp.bind(port, "127.0.0.1", () => resolve(true));
    });
    await new Promise<void>((r) => (free ? udp.close(() => r()) : r()));
    if (free) return port;
  }
}

const ATTEMPTS = 4;

/** Starts `consul agent -dev` and resolves once it has a leader. `extra` are further agent flags. */
export async function startConsulDev(
  opts: { node?: string; dataDir?: string; extra?: string[]; binary?: string; timeoutMs?: number } = {},
): Promise<ConsulDev> {
  let lastFailure = "";
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const [http, serfLan, serfWan, server] = await Promise.all([1, 2, 3, 4].map(() => freeTcpUdpPort()));
    const args = ["agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1"]
      .concat(["-http-port", String(http), "-dns-port", "-1", "-grpc-port", "-1"])
      .concat(["-serf-lan-port", String(serfLan), "-serf-wan-port", String(serfWan)])
      .concat(["-server-port", String(server)])
      .concat(opts.node ? ["-node", opts.node] : [])
      .concat(opts.dataDir ? ["-data-dir", opts.dataDir] : [])
      .concat(opts.extra ?? []);
    const proc = spawn(opts.binary ?? consulBinary, args, { stdio: ["ignore", "pipe", "pipe"] });
    let printed = "";
    const keep = (d: Buffer) => {
      printed = (printed + d.toString()).slice(-4000);
    };
    proc.stdout?.on("data", keep);
    proc.stderr?.on("data", keep);
    const url = `http://127.0.0.1:${http}`;
    const outcome = await ready(proc, url, opts.timeoutMs ?? 60_000);
    if (outcome === "ready") {
      // Nobody reads its output from here on; stop buffering it.
      proc.stdout?.removeListener("data", keep).resume();
      proc.stderr?.removeListener("data", keep).resume();
      return { url, port: http, proc, stop: () => proc.kill("SIGKILL") };
    }
    proc.kill("SIGKILL");
    lastFailure = `${outcome} (attempt ${attempt}); it printed:\n${printed.slice(-1500)}`;
    if (outcome.startsWith("never")) break;
  }
  throw new Error(`the Consul dev agent did not start: ${lastFailure}`);
}

async function ready(proc: ChildProcess, url: string, timeoutMs: number): Promise<string> {
  let exited: string | undefined;
  // "close", not "exit": by then everything it printed has been read.
  proc.once("close", (code, signal) => {
    exited = `exited with ${signal ?? code} before it served`;
  });
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (exited) return exited;
    try {
      const r = await fetch(`${url}/v1/status/leader`);
      if (r.ok && (await r.json())) return "ready";
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return `never elected a leader within ${timeoutMs / 1000} s`;
}
