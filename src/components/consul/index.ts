import { documentFile, renderFile } from "../../render/render-file.js";
import type { DesiredFile } from "../../render/types.js";
import { consulHasTlsStanza, consulHasUiConfig } from "../../render/version.js";
import { generateGossipKey, isGossipKey, type Secret } from "../../secrets/index.js";
import { isServer, serverAddresses, tcp, tcpUdp } from "../servers.js";
import type { Component, RenderInput } from "../types.js";
import { CONSUL_TOKEN } from "./acl.js";
import { CONSUL_FINAL_STAGE, consulSecurityAt } from "./migrate-stages.js";
import { CONSUL_TLS, consulTlsFiles } from "./tls.js";

export {
  accessorIdOf,
  CONSUL_TOKEN,
  type ConsulPolicy,
  type ConsulToken,
  consulAcl,
  consulTokenSecrets,
  isUuid,
  MANAGEMENT_TOKEN,
} from "./acl.js";
export { CONSUL_TLS, consulTlsProfiles } from "./tls.js";

/** Where Consul lives on every host. */
export const CONSUL = {
  binary: "/usr/local/bin/consul",
  configDir: "/etc/consul.d",
  config: "/etc/consul.d/consul.hcl",
  dataDir: "/var/lib/consul",
  unit: "/etc/systemd/system/consul.service",
  /** Consul's plain HTTP API, for the host's own agents (Nomad, Traefik, np-agent): loopback only. */
  http: { host: "127.0.0.1", port: 8500 },
  /** The HTTPS API on servers (loopback only), which np's tunnels use, checking it against the cluster CA. */
  https: { host: "127.0.0.1", port: 8501 },
} as const;

const GOSSIP = {
  name: "consul-gossip",
  generate: generateGossipKey,
  valid: isGossipKey,
  describe: "a base64 32-byte key",
};

/** What templates/consul.hcl.hbs needs. Every field is present (null when unset): templates render strictly. */
export interface ConsulView {
  datacenter: string;
  nodeName: string;
  dataDir: string;
  bindAddr: string;
  advertiseAddr: string;
  clientAddr: string;
  retryJoin: string[];
  encrypt: Secret;
  logLevel: string;
  /** 1.12+ reads `tls { defaults, internal_rpc, https }`; 1.8 only the top-level keys (which 1.12+ still takes). */
  tls: {
    comment: string;
    stanza: boolean;
    caFile: string;
    server: { certFile: string; keyFile: string } | null;
    verifyIncomingRpc: boolean;
    verifyOutgoing: boolean;
    verifyServerHostname: boolean;
  } | null;
  acl: {
    comment: string;
    defaultPolicy: "allow" | "deny";
    downPolicy: string | null;
    agentToken: Secret | null;
  } | null;
  /** httpsPort is null while the server has no TLS yet (a migration's first stage). */
  server: { bootstrapExpect: number; uiConfig: boolean; httpsPort: number | null } | null;
}

const TLS_COMMENT = {
  final:
    "TLS on RPC: every agent checks that it talks to a real server (server.<dc>.consul, signed by the cluster CA).",
  migrating: "TLS on RPC, while np migrates this cluster to it: see `np plan`; the next `np up` goes on.",
};
const ACL_COMMENT = {
  final: "ACLs: nothing is allowed without a token. This agent's own token has its node identity only.",
  migrating:
    'ACLs on while np migrates this cluster to them: "allow" until every agent and service has its token.',
};

/** The TLS and ACL part of a host's consul.hcl at its migration stage (the final one unless said). */
function securityView({ inv, host, secrets, stages }: RenderInput): Pick<ConsulView, "tls" | "acl"> {
  const stage = stages?.consul ?? CONSUL_FINAL_STAGE;
  const { tls, acl } = consulSecurityAt(stage, isServer(host));
  const final = stage === CONSUL_FINAL_STAGE;
  const tlsFinal =
    JSON.stringify(tls) === JSON.stringify(consulSecurityAt(CONSUL_FINAL_STAGE, isServer(host)).tls);
  return {
    tls: tls && {
      comment: tlsFinal ? TLS_COMMENT.final : TLS_COMMENT.migrating,
      stanza: consulHasTlsStanza(inv.versions.consul),
      caFile: CONSUL_TLS.ca,
      server: isServer(host) ? { certFile: CONSUL_TLS.cert, keyFile: CONSUL_TLS.key } : null,
      ...tls,
    },
    acl: acl && {
      comment: final ? ACL_COMMENT.final : ACL_COMMENT.migrating,
      defaultPolicy: acl.defaultPolicy,
      // While a token may be missing, an agent that cannot reach the servers keeps what it has (Consul's default,
      // said here as HashiCorp's migration guide does).
      downPolicy: final ? null : "extend-cache",
      agentToken: acl.agentToken ? secrets.get(CONSUL_TOKEN.agent(host.name)) : null,
    },
  };
}

/** The values of one host's consul.hcl. */
export function consulView(input: RenderInput): ConsulView {
  const { inv, host, secrets } = input;
  const servers = serverAddresses(inv);
  const security = securityView(input);
  return {
    datacenter: inv.cluster.datacenter,
    nodeName: host.name,
    dataDir: CONSUL.dataDir,
    bindAddr: host.privateAddress,
    advertiseAddr: host.privateAddress,
    clientAddr: CONSUL.http.host,
    retryJoin: servers,
    encrypt: secrets.get(GOSSIP.name),
    logLevel: "INFO",
    ...security,
    server: isServer(host)
      ? {
          bootstrapExpect: servers.length,
          uiConfig: consulHasUiConfig(inv.versions.consul),
          httpsPort: security.tls ? CONSUL.https.port : null,
        }
      : null,
  };
}

/**
 * A service definition in Consul's config folder (another component's registration, with its health check):
 * Consul reads it at start and on a reload (SIGHUP), so a change reloads Consul instead of restarting it.
 */
export function consulServiceFile(name: string, definition: Record<string, unknown>): DesiredFile {
  return documentFile(definition, (d) => `${JSON.stringify(d, null, 2)}\n`, {
    path: `${CONSUL.configDir}/${name}.json`,
    mode: "0640",
    owner: "root",
    group: "consul",
    restarts: [],
    reloads: ["consul"],
  });
}

/** Consul on every host: server mode on servers (Raft), client mode elsewhere. Runs as `consul`. */
export const consul: Component = {
  name: "consul",
  unit: "consul",
  runsOn: () => true,
  secrets: [GOSSIP],
  user: { name: "consul", group: "consul", home: CONSUL.dataDir },
  binaries: (inv) => [{ path: CONSUL.binary, product: "consul", version: inv.versions.consul }],
  dirs: () => [
    { path: CONSUL.dataDir, mode: "0750", owner: "consul", group: "consul" },
    { path: CONSUL.configDir, mode: "0750", owner: "root", group: "consul" },
    { path: CONSUL_TLS.dir, mode: "0750", owner: "root", group: "consul" },
  ],
  files: (input) => [
    renderFile("consul.hcl", consulView(input), {
      path: CONSUL.config,
      mode: "0640",
      owner: "root",
      group: "consul",
      restarts: ["consul"],
    }),
    ...consulTlsFiles(input.inv, input.host, input.secrets),
    renderFile(
      "consul.service",
      { user: "consul", group: "consul", binary: CONSUL.binary, configDir: CONSUL.configDir },
      { path: CONSUL.unit, mode: "0644", owner: "root", group: "root", restarts: ["consul"] },
    ),
  ],
  // Serf LAN everywhere; RPC, Serf WAN and HTTPS (loopback) on servers; HTTP and DNS on loopback.
  ports: (host) => [
    ...tcpUdp(8301),
    tcp(CONSUL.http.port),
    ...tcpUdp(8600),
    ...(isServer(host) ? [tcp(8300), ...tcpUdp(8302), tcp(CONSUL.https.port)] : []),
  ],
  restartPolicy: (host) => (isServer(host) ? "quorum" : "parallel"),
  raft: "consul",
};
