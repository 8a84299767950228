import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Agent, request } from "undici";
import { ConsulApi } from "../../src/api/consul.js";
import { CONSUL_TLS } from "../../src/components/consul/index.js";
import { desiredHost, type SecurityStages } from "../../src/components/index.js";
import type { HostSpec, Inventory } from "../../src/inventory/index.js";
import type { SecretValues } from "../../src/secrets/index.js";
import { consulBinary } from "./consul-binary.js";

/**
 * Real Consul 1.8.7 agents on loopback addresses, each started from the files np renders for its host (consul.hcl,
 * TLS files, service definitions): only the paths that are absolute on a host (config, data, TLS folder) and the
 * loopback client address (one per agent here, they share the machine) are moved.
 */
export class LoopbackConsul {
  readonly procs = new Map<string, ChildProcess>();

  constructor(
    readonly dir: string,
    readonly inv: Inventory,
    readonly secrets: SecretValues,
  ) {}

  /** The config folder np would write on `host` (for its migration stage, if given), rewritten for this machine. */
  write(host: HostSpec, stages?: SecurityStages): string {
    const root = path.join(this.dir, host.name);
    const conf = path.join(root, "conf");
    mkdirSync(path.join(root, "tls"), { recursive: true });
    mkdirSync(conf, { recursive: true });
    mkdirSync(path.join(root, "data"), { recursive: true });
    for (const f of desiredHost(this.inv, host, this.secrets, stages).files) {
      if (f.path.startsWith(`${CONSUL_TLS.dir}/`))
        writeFileSync(path.join(root, "tls", path.basename(f.path)), f.content);
      else if (/^\/etc\/consul\.d\/[^/]+\.(hcl|json)$/.test(f.path))
        writeFileSync(
          path.join(conf, path.basename(f.path)),
          f.content
            .replaceAll(CONSUL_TLS.dir, path.join(root, "tls"))
            .replace(
              'data_dir           = "/var/lib/consul"',
              `data_dir = ${JSON.stringify(path.join(root, "data"))}`,
            )
            .replace(
              'client_addr        = "127.0.0.1"',
              `client_addr = ${JSON.stringify(host.privateAddress)}`,
            ),
        );
    }
    return conf;
  }

  start(host: HostSpec, log = false, stages?: SecurityStages): void {
    const conf = this.write(host, stages);
    const p = spawn(consulBinary, ["agent", `-config-dir=${conf}`], { stdio: log ? "inherit" : "ignore" });
    this.procs.set(host.name, p);
  }

  /** Stops one agent as systemd does (SIGTERM; leave_on_terminate is off) and waits until it has exited. */
  async stopOne(host: HostSpec): Promise<void> {
    const p = this.procs.get(host.name);
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await gone;
  }

  stop(): void {
    for (const p of this.procs.values()) p.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A dispatcher that checks HTTPS servers against `ca`. */
export const tlsDispatcher = (ca: string) => new Agent({ connect: { ca } });

/** One request to an agent's plain HTTP API with `token` (or none): status and body text. */
export async function call(
  agent: HostSpec,
  method: "GET" | "PUT" | "DELETE",
  p: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const r = await request(`http://${agent.privateAddress}:8500${p}`, {
    method,
    headers: token ? { "X-Consul-Token": token } : {},
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: r.statusCode, text: await r.body.text() };
}

/** The server's HTTPS API as np's tunnels reach it (here directly), with np's token source. */
export const httpsApi = (host: HostSpec, dispatcher: Agent, token: () => string | undefined) =>
  new ConsulApi(`https://${host.privateAddress}:8501`, dispatcher, token);

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${what}: ${String(last)}`);
}
