import type { HostSpec, Inventory } from "../../inventory/index.js";
import { documentFile, renderFile } from "../../render/index.js";
import { passwordSecret, type Secret } from "../../secrets/index.js";
import { CONSUL_TOKEN, consulServiceFile } from "../consul/index.js";
import { tcp } from "../servers.js";
import type { Component, RenderInput } from "../types.js";

/** Where OpenObserve lives on the observe host. */
export const OPENOBSERVE = {
  binary: "/usr/local/bin/openobserve",
  configDir: "/etc/openobserve",
  env: "/etc/openobserve/openobserve.env",
  dataDir: "/var/lib/openobserve",
  unit: "/etc/systemd/system/openobserve.service",
  httpPort: 5080,
  grpcPort: 5081,
  org: "default",
} as const;

export const ROOT_SECRET = passwordSecret("openobserve-root");

/** The root user's email: the inventory's, else one on np's reserved domain. */
export const rootEmail = (inv: Inventory) => inv.openobserve.rootEmail ?? "admin@np.local";

const isObserve = (host: HostSpec) => host.roles.includes("observe");

/** OpenObserve's URL on the observe host's private address (agents ingest there; np reaches it through SSH). */
export function openobserveUrl(inv: Inventory): string | null {
  const host = inv.hosts.find(isObserve);
  return host ? `http://${host.privateAddress}:${OPENOBSERVE.httpPort}` : null;
}

/** The environment OpenObserve reads (an EnvironmentFile: one KEY=value per line, no quoting needed). */
export function openobserveEnv(
  inv: Inventory,
  host: HostSpec,
  rootPassword: Secret,
): [string, string | Secret][] {
  return [
    ["ZO_ROOT_USER_EMAIL", rootEmail(inv)],
    ["ZO_ROOT_USER_PASSWORD", rootPassword],
    ["ZO_DATA_DIR", `${OPENOBSERVE.dataDir}/`],
    ["ZO_HTTP_ADDR", host.privateAddress],
    ["ZO_HTTP_PORT", String(OPENOBSERVE.httpPort)],
    ["ZO_GRPC_ADDR", host.privateAddress],
    ["ZO_GRPC_PORT", String(OPENOBSERVE.grpcPort)],
    // One node, SQLite metadata and data on local disk: SME scale (architecture.txt).
    ["ZO_LOCAL_MODE", "true"],
    ["ZO_LOCAL_MODE_STORAGE", "disk"],
    ["ZO_TELEMETRY", "false"],
  ];
}

const envFile = (pairs: [string, string][]) =>
  `# Written by np: changes made here are replaced by the next \`np up\`.\n${pairs.map(([k, v]) => `${k}=${v}`).join("\n")}\n`;

/**
 * OpenObserve's registration in Consul: service `openobserve` with its health endpoint as the check, with a
 * token that may register that service only.
 */
export function consulServiceDefinition(host: HostSpec, token: Secret): Record<string, unknown> {
  const url = `http://${host.privateAddress}:${OPENOBSERVE.httpPort}`;
  return {
    service: {
      name: "openobserve",
      id: "openobserve",
      token,
      address: host.privateAddress,
      port: OPENOBSERVE.httpPort,
      tags: ["np"],
      check: { id: "openobserve-healthz", http: `${url}/healthz`, interval: "10s", timeout: "2s" },
    },
  };
}

/** OpenObserve on the one observe host: logs and metrics of the whole cluster. Runs as `openobserve`. */
export const openobserve: Component = {
  name: "openobserve",
  unit: "openobserve",
  runsOn: isObserve,
  secrets: [ROOT_SECRET],
  user: { name: "openobserve", group: "openobserve", home: OPENOBSERVE.dataDir },
  binaries: (inv) => [
    { path: OPENOBSERVE.binary, product: "openobserve", version: inv.versions.openobserve },
  ],
  dirs: () => [
    { path: OPENOBSERVE.configDir, mode: "0750", owner: "root", group: "openobserve" },
    { path: OPENOBSERVE.dataDir, mode: "0750", owner: "openobserve", group: "openobserve" },
  ],
  files: ({ inv, host, secrets }: RenderInput) => [
    // systemd reads an EnvironmentFile as root before dropping privileges: the password file stays root's, 0600.
    documentFile(
      openobserveEnv(inv, host, secrets.get(ROOT_SECRET.name)),
      (p) => envFile(p as [string, string][]),
      {
        path: OPENOBSERVE.env,
        mode: "0600",
        owner: "root",
        group: "root",
        restarts: ["openobserve"],
      },
    ),
    // Consul reads service definitions from its config folder; a reload (SIGHUP) picks a change up.
    consulServiceFile(
      "openobserve",
      consulServiceDefinition(host, secrets.get(CONSUL_TOKEN.openobserveService)),
    ),
    renderFile(
      "openobserve.service",
      {
        binary: OPENOBSERVE.binary,
        env: OPENOBSERVE.env,
        dataDir: OPENOBSERVE.dataDir,
        user: "openobserve",
        group: "openobserve",
      },
      { path: OPENOBSERVE.unit, mode: "0644", owner: "root", group: "root", restarts: ["openobserve"] },
    ),
  ],
  ports: () => [tcp(OPENOBSERVE.httpPort), tcp(OPENOBSERVE.grpcPort)],
  restartPolicy: () => "parallel",
  service: "openobserve",
  ready: (host) => ({ host: host.privateAddress, port: OPENOBSERVE.httpPort, path: "/healthz" }),
};
