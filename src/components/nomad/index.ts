import { renderFile } from "../../render/render-file.js";
import { generateGossipKey, isGossipKey, type Secret } from "../../secrets/index.js";
import { CONSUL, CONSUL_TOKEN } from "../consul/index.js";
import { isServer, serverAddresses, tcp, tcpUdp } from "../servers.js";
import type { Component, RenderInput } from "../types.js";
import { NOMAD_FINAL_STAGE, type NomadStageView, nomadStageView } from "./migrate-stages.js";
import { nomadSecurity } from "./security.js";
import { NOMAD_TLS, nomadTlsFiles, runsNomad } from "./tls.js";

export {
  agentReadsNomad,
  isNomadSecret,
  NOMAD_MANAGEMENT,
  NOMAD_TOKEN,
  type NomadPolicy,
  type NomadToken,
  nomadAcl,
  nomadTokenSecrets,
} from "./acl.js";
export { type NomadSecurityView, nomadSecurity } from "./security.js";
export { NOMAD_TLS, nomadAgentCertProfile, nomadTlsProfiles, runsNomad } from "./tls.js";

/** Where Nomad lives on servers and clients. */
export const NOMAD = {
  binary: "/usr/local/bin/nomad",
  configDir: "/etc/nomad.d",
  config: "/etc/nomad.d/nomad.hcl",
  dataDir: "/var/lib/nomad",
  unit: "/etc/systemd/system/nomad.service",
  httpPort: 4646,
} as const;

const GOSSIP = {
  name: "nomad-gossip",
  generate: generateGossipKey,
  valid: isGossipKey,
  describe: "a base64 32-byte key",
};

/** What templates/nomad.hcl.hbs needs. */
export interface NomadView {
  region: string;
  datacenter: string;
  name: string;
  dataDir: string;
  bindAddr: string;
  advertiseAddr: string;
  server: { bootstrapExpect: number; encrypt: Secret; retryJoin: string[] } | null;
  client: {
    servers: string[];
    nodeClass: string | null;
    meta: { key: string; value: string }[] | null;
  } | null;
  consul: { address: string; token: Secret };
  /** The `tls` and `acl` blocks (security.ts decides them; migrate-stages.ts during a migration). */
  security: NomadStageView;
}

/** The values of one host's nomad.hcl. */
export function nomadView({ inv, host, secrets, stages }: RenderInput): NomadView {
  const stage = stages?.nomad ?? NOMAD_FINAL_STAGE;
  const servers = serverAddresses(inv);
  const meta = Object.keys(host.meta)
    .toSorted()
    .map((key) => ({ key, value: host.meta[key] ?? "" }));
  return {
    region: inv.cluster.region,
    datacenter: inv.cluster.datacenter,
    name: host.name,
    dataDir: NOMAD.dataDir,
    bindAddr: host.privateAddress,
    advertiseAddr: host.privateAddress,
    server: isServer(host)
      ? { bootstrapExpect: servers.length, encrypt: secrets.get(GOSSIP.name), retryJoin: servers }
      : null,
    client: host.roles.includes("client")
      ? { servers, nodeClass: host.nodeClass ?? null, meta: meta.length > 0 ? meta : null }
      : null,
    // Servers and clients each have their token (register services and checks, read agents and nodes).
    consul: {
      address: `${CONSUL.http.host}:${CONSUL.http.port}`,
      token: secrets.get(isServer(host) ? CONSUL_TOKEN.nomadServer : CONSUL_TOKEN.nomadClient),
    },
    security: nomadStageView(stage, isServer(host), nomadSecurity(inv, host)),
  };
}

/** Nomad servers (Raft) and clients (workloads). Runs as root: clients must, to run and isolate tasks. */
export const nomad: Component = {
  name: "nomad",
  unit: "nomad",
  runsOn: runsNomad,
  secrets: [GOSSIP],
  binaries: (inv) => [{ path: NOMAD.binary, product: "nomad", version: inv.versions.nomad }],
  dirs: () => [
    { path: NOMAD.dataDir, mode: "0700", owner: "root", group: "root" },
    { path: NOMAD.configDir, mode: "0700", owner: "root", group: "root" },
    { path: NOMAD_TLS.dir, mode: "0700", owner: "root", group: "root" },
  ],
  files: (input) => [
    renderFile("nomad.hcl", nomadView(input), {
      path: NOMAD.config,
      mode: "0600",
      owner: "root",
      group: "root",
      restarts: ["nomad"],
    }),
    ...nomadTlsFiles(input.inv, input.host, input.secrets),
    renderFile(
      "nomad.service",
      { binary: NOMAD.binary, configDir: NOMAD.configDir },
      { path: NOMAD.unit, mode: "0644", owner: "root", group: "root", restarts: ["nomad"] },
    ),
  ],
  // HTTP everywhere it runs; RPC and Serf on servers.
  ports: (host) => [tcp(NOMAD.httpPort), ...(isServer(host) ? [tcp(4647), ...tcpUdp(4648)] : [])],
  restartPolicy: (host) => (isServer(host) ? "quorum" : "parallel"),
  raft: "nomad",
};
