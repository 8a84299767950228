import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Agent } from "undici";
import { NomadApi } from "../../src/api/nomad.js";
import { desiredHost, type SecurityStages } from "../../src/components/index.js";
import { NOMAD, NOMAD_TLS } from "../../src/components/nomad/index.js";
import type { HostSpec, Inventory } from "../../src/inventory/index.js";
import type { SecretValues } from "../../src/secrets/index.js";

const DOUBLE = fileURLToPath(new URL("../doubles/nomad-double.mjs", import.meta.url));
/** The double's timings, shortened for tests on loopback. */
const ENV = {
  ...process.env,
  NOMAD_DOUBLE_GOSSIP_MS: "150",
  NOMAD_DOUBLE_FAILURE_MS: "1500",
  NOMAD_DOUBLE_NODE_TTL_MS: "3000",
  NOMAD_DOUBLE_RPC_HOLD_MS: "1500",
};

/**
 * Nomad double agents (NOT Nomad) on loopback addresses, each started from the files np renders for its host
 * (nomad.hcl and the TLS files): only the paths that are absolute on a host (data dir, TLS folder) are moved.
 */
export class LoopbackNomad {
  readonly procs = new Map<string, ChildProcess>();
  readonly output = new Map<string, string>();

  constructor(
    readonly dir: string,
    readonly inv: Inventory,
    readonly secrets: SecretValues,
    /** The migration stages to render a host's files for (a migration's contract test); absent: the final ones. */
    readonly stagesOf: (host: HostSpec) => SecurityStages | undefined = () => undefined,
  ) {}

  /** Where `host`'s TLS files are on this machine. */
  tlsDir(host: HostSpec): string {
    return path.join(this.dir, host.name, "tls");
  }

  /** The config np would write on `host`, rewritten for this machine; returns the config file. */
  write(host: HostSpec): string {
    const root = path.join(this.dir, host.name);
    mkdirSync(this.tlsDir(host), { recursive: true });
    mkdirSync(path.join(root, "data"), { recursive: true });
    const config = path.join(root, "nomad.hcl");
    for (const f of desiredHost(this.inv, host, this.secrets, this.stagesOf(host)).files) {
      if (f.path.startsWith(`${NOMAD_TLS.dir}/`))
        writeFileSync(path.join(this.tlsDir(host), path.basename(f.path)), f.content, { mode: 0o600 });
      else if (f.path === NOMAD.config)
        writeFileSync(
          config,
          f.content
            .replaceAll(NOMAD_TLS.dir, this.tlsDir(host))
            .replace(
              `data_dir   = "${NOMAD.dataDir}"`,
              `data_dir = ${JSON.stringify(path.join(root, "data"))}`,
            ),
        );
    }
    return config;
  }

  start(host: HostSpec): void {
    const p = spawn(process.execPath, [DOUBLE, "agent", "-config", this.write(host)], {
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.output.set(host.name, "");
    const keep = (d: Buffer) => this.output.set(host.name, (this.output.get(host.name) ?? "") + d.toString());
    p.stdout?.on("data", keep);
    p.stderr?.on("data", keep);
    this.procs.set(host.name, p);
  }

  stop(): void {
    for (const p of this.procs.values()) p.kill("SIGKILL");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A dispatcher that checks Nomad's HTTPS against `ca`, presenting `client` when given. */
export const nomadDispatcher = (ca: string, client?: { cert: string; key: string }) =>
  new Agent({ connect: { ca, ...(client && { cert: client.cert, key: client.key }) } });

/** A host's Nomad API over HTTPS, as np's tunnels reach it (here directly), with `token` if any. */
export const nomadHttps = (host: HostSpec, dispatcher: Agent, token?: string | (() => string | undefined)) =>
  new NomadApi(`https://${host.privateAddress}:${NOMAD.httpPort}`, dispatcher, token);
