import { readFileSync } from "node:fs";
import type { HostSpec, Inventory } from "../../inventory/index.js";
import { packageFile } from "../../inventory/package-files.js";
import { npAgentClientProfile } from "../../pki/profiles.js";
import type { LeafProfile } from "../../pki/types.js";
import { TLS_SECRET } from "../../pki/values.js";
import { type DesiredFile, documentFile, renderFile } from "../../render/index.js";
import { passwordSecret, type Secret, type SecretSpec, type SecretValues } from "../../secrets/index.js";
import { CONSUL, CONSUL_TOKEN } from "../consul/index.js";
import { agentReadsNomad, NOMAD, NOMAD_TOKEN, nomadSecurity, runsNomad } from "../nomad/index.js";
import { OPENOBSERVE, openobserveUrl } from "../openobserve/index.js";
import { tcp } from "../servers.js";
import type { Component, RenderInput } from "../types.js";

/** Where np-agent and its Node.js runtime live on every host. */
export const NP_AGENT = {
  libDir: "/usr/local/lib/np",
  node: "/usr/local/lib/np/node",
  bundle: "/usr/local/lib/np/np-agent.mjs",
  configDir: "/etc/np-agent",
  config: "/etc/np-agent/config.json",
  stateDir: "/var/lib/np-agent",
  unit: "/etc/systemd/system/np-agent.service",
  port: 9190,
  intervalSec: 10,
  /** The agents' own OpenObserve user: its passcode may only ingest (OpenObserve's open-source build). */
  ingestUser: "np-agent@np.local",
  /** What the agent presents to and checks Nomad's HTTPS API with, on client hosts (root:np-agent). */
  nomadTls: {
    ca: "/etc/np-agent/nomad-ca.pem",
    cert: "/etc/np-agent/nomad-client.pem",
    key: "/etc/np-agent/nomad-client-key.pem",
  },
} as const;

/** Whether np-agent on the host calls Nomad's HTTPS API, and so needs the CA and a client certificate. */
export const agentNeedsNomadTls = (inv: Inventory, host: HostSpec) =>
  agentReadsNomad(host) && nomadSecurity(inv, host).tls.http;

/** np-agent's client certificates: one per host whose agent reads Nomad (client hosts). */
export const npAgentTlsProfiles = (inv: Inventory): LeafProfile[] =>
  inv.hosts.filter((h) => agentNeedsNomadTls(inv, h)).map(npAgentClientProfile);

/**
 * The CA and the agent's own client certificate for Nomad's API: np-agent reads them at start (a change restarts
 * it). The key is the secret one; all three are readable by group np-agent only, like its config.
 */
function agentTlsFiles(inv: Inventory, host: HostSpec, secrets: SecretValues): DesiredFile[] {
  if (!agentNeedsNomadTls(inv, host)) return [];
  const { id } = npAgentClientProfile(host);
  const file = (path: string, secret: string, isSecret: boolean): DesiredFile => ({
    path,
    content: secrets.get(secret).reveal(),
    mode: "0640",
    owner: "root",
    group: "np-agent",
    restarts: ["np-agent"],
    secret: isSecret,
  });
  return [
    file(NP_AGENT.nomadTls.ca, TLS_SECRET.caCert, false),
    file(NP_AGENT.nomadTls.cert, TLS_SECRET.cert(id), false),
    file(NP_AGENT.nomadTls.key, TLS_SECRET.key(id), true),
  ];
}

/**
 * The agent's view of the host's Nomad agent (null where none runs): on client hosts, the agent reads its node's
 * allocations over HTTPS with its own read-only token (null until Nomad made it) and client certificate.
 */
function agentNomad(inv: Inventory, host: HostSpec, secrets: SecretValues): Record<string, unknown> | null {
  if (!runsNomad(host)) return null;
  const https = nomadSecurity(inv, host).tls.http;
  const reads = agentReadsNomad(host);
  return {
    address: `${https ? "https" : "http"}://${host.privateAddress}:${NOMAD.httpPort}`,
    token: reads ? (secrets.find(NOMAD_TOKEN.npAgent(host.name)) ?? null) : null,
    dataDir: NOMAD.dataDir,
    tls: agentNeedsNomadTls(inv, host)
      ? { caFile: NP_AGENT.nomadTls.ca, certFile: NP_AGENT.nomadTls.cert, keyFile: NP_AGENT.nomadTls.key }
      : null,
  };
}

/** The agents' OpenObserve user's password (np's, to fetch the passcode; never on a host). */
export const AGENT_USER_SECRET = passwordSecret("openobserve-agent");

/** The passcode OpenObserve hands that user: the only credential the agents hold. Derived, not generated. */
export const INGEST_PASSCODE: SecretSpec = {
  name: "openobserve-ingest-passcode",
  valid: (v) => /^[A-Za-z0-9]{8,128}$/.test(v),
  describe: "an OpenObserve passcode (letters and digits)",
};

/** np's package version, reported by the agent (the bundle is np's own). */
const npVersion = (): string =>
  (JSON.parse(readFileSync(packageFile("package.json"), "utf8")) as { version: string }).version;

let bundle: string | undefined;
/** The agent's bundle, shipped in np's package (dist/agent/np-agent.mjs, built by `npm run build`). */
function agentBundle(): string {
  bundle ??= readFileSync(packageFile("dist/agent/np-agent.mjs"), "utf8");
  return bundle;
}

/** The units whose state and journal the agent reports: the np components this host runs. */
export type UnitsOf = (host: HostSpec) => string[];

/** The agent's config.json (its contract: agent/src/config.ts). Null OpenObserve until its passcode exists. */
export function agentConfig(
  inv: Inventory,
  host: HostSpec,
  secrets: SecretValues,
  units: string[],
): Record<string, unknown> {
  const url = openobserveUrl(inv);
  const passcode: Secret | undefined = secrets.find(INGEST_PASSCODE.name);
  return {
    node: host.name,
    roles: host.roles,
    datacenter: inv.cluster.datacenter,
    listen: { address: host.privateAddress, port: NP_AGENT.port },
    intervalSec: NP_AGENT.intervalSec,
    stateDir: NP_AGENT.stateDir,
    // Its own token: its service, its KV key, its node (read).
    consul: {
      address: `http://${CONSUL.http.host}:${CONSUL.http.port}`,
      token: secrets.get(CONSUL_TOKEN.npAgent(host.name)),
    },
    nomad: agentNomad(inv, host, secrets),
    openobserve:
      url && passcode ? { url, org: OPENOBSERVE.org, user: NP_AGENT.ingestUser, password: passcode } : null,
    units,
    versions: {
      consul: inv.versions.consul,
      ...(runsNomad(host) && { nomad: inv.versions.nomad }),
      ...(host.roles.includes("edge") && { traefik: inv.versions.traefik }),
      ...(host.roles.includes("observe") && { openobserve: inv.versions.openobserve }),
      "np-agent": npVersion(),
      node: inv.versions.node,
    },
    disks: runsNomad(host) ? ["/", NOMAD.dataDir] : ["/"],
    streams: { metrics: "np_node_metrics", logs: "nomad_logs", journal: "np_journal" },
  };
}

/**
 * np-agent on every host: reports the node (GET /v1/node on its private address), registers in Consul, keeps
 * np/nodes/<node> in Consul KV fresh, and ships metrics, allocation logs and the units' journal to OpenObserve.
 * It runs on the Node.js runtime np installs from the official release (verified like every artifact).
 */
export function npAgent(unitsOf: UnitsOf): Component {
  return {
    name: "np-agent",
    unit: "np-agent",
    runsOn: () => true,
    secrets: [AGENT_USER_SECRET, INGEST_PASSCODE],
    user: { name: "np-agent", group: "np-agent", home: NP_AGENT.stateDir, groups: ["systemd-journal"] },
    binaries: (inv) => [{ path: NP_AGENT.node, product: "node", version: inv.versions.node }],
    dirs: () => [
      { path: NP_AGENT.libDir, mode: "0755", owner: "root", group: "root" },
      { path: NP_AGENT.configDir, mode: "0750", owner: "root", group: "np-agent" },
    ],
    files: ({ inv, host, secrets }: RenderInput) => [
      {
        path: NP_AGENT.bundle,
        content: agentBundle(),
        mode: "0644",
        owner: "root",
        group: "root",
        restarts: ["np-agent"],
        secret: false,
      },
      documentFile(agentConfig(inv, host, secrets, unitsOf(host)), (d) => `${JSON.stringify(d, null, 2)}\n`, {
        path: NP_AGENT.config,
        mode: "0640",
        owner: "root",
        group: "np-agent",
        // It reads its config only at start.
        restarts: ["np-agent"],
      }),
      ...agentTlsFiles(inv, host, secrets),
      renderFile(
        "np-agent.service",
        { node: NP_AGENT.node, bundle: NP_AGENT.bundle, config: NP_AGENT.config },
        { path: NP_AGENT.unit, mode: "0644", owner: "root", group: "root", restarts: ["np-agent"] },
      ),
    ],
    ports: () => [tcp(NP_AGENT.port)],
    restartPolicy: () => "parallel",
    service: "np-agent",
    // /v1/node answers whenever the agent runs (/v1/health may rightly say 503 while OpenObserve is not there yet).
    ready: (host) => ({ host: host.privateAddress, port: NP_AGENT.port, path: "/v1/node" }),
  };
}
