import { stringify } from "yaml";
import type { HostSpec, Inventory } from "../../inventory/index.js";
import { documentFile } from "../../render/index.js";
import { renderFile } from "../../render/render-file.js";
import { passwordSecret, Secret } from "../../secrets/index.js";
import { CONSUL, CONSUL_TOKEN, consulServiceFile } from "../consul/index.js";
import { tcp } from "../servers.js";
import type { Component, RenderInput } from "../types.js";
import { htpasswdLine } from "./htpasswd.js";

/** Where Traefik lives on edge hosts. */
export const TRAEFIK = {
  binary: "/usr/local/bin/traefik",
  configDir: "/etc/traefik",
  config: "/etc/traefik/traefik.yaml",
  dynamicDir: "/etc/traefik/dynamic",
  dashboardConfig: "/etc/traefik/dynamic/np-dashboard.yaml",
  dataDir: "/var/lib/traefik",
  acmeStorage: "/var/lib/traefik/acme.json",
  unit: "/etc/systemd/system/traefik.service",
  /** The `traefik` entry point (ping, and the dashboard when enabled), on the private address only. */
  privatePort: 8082,
  /** The `web` (plain HTTP) and `websecure` entry points, on every address. */
  webPort: 80,
  websecurePort: 443,
  /** The certificate resolver np's app routers name when the inventory sets an ACME email. */
  resolver: "letsencrypt",
  dashboardUser: "admin",
} as const;

export const DASHBOARD_SECRET = passwordSecret("traefik-dashboard", 32);

const isEdge = (host: HostSpec) => host.roles.includes("edge");
const written = "# Written by np: changes made here are replaced by the next `np up`.\n";
const yaml = (doc: unknown) => written + stringify(doc, { lineWidth: 0 });

/**
 * Traefik's static configuration (traefik.yaml), exactly as Traefik v3 spells its keys. `consulToken` reads the
 * catalog (services and nodes) and nothing else.
 */
export function traefikStatic(inv: Inventory, host: HostSpec, consulToken: Secret): Record<string, unknown> {
  const acme = inv.traefik.acmeEmail;
  return {
    entryPoints: {
      web: { address: `:${TRAEFIK.webPort}` },
      websecure: {
        address: `:${TRAEFIK.websecurePort}`,
        ...(acme && { http: { tls: { certResolver: TRAEFIK.resolver } } }),
      },
      // Private only: np's readiness check, `np open traefik`. Keeps accepting for a moment after a stop begins,
      // so /ping can answer 503 while the edge drains (a load balancer in front stops sending first).
      traefik: {
        address: `${host.privateAddress}:${TRAEFIK.privatePort}`,
        transport: { lifeCycle: { requestAcceptGraceTimeout: "2s", graceTimeOut: "10s" } },
      },
    },
    ping: { entryPoint: "traefik" },
    providers: {
      consulCatalog: {
        // Only services tagged traefik.enable=true are routed; watch mode follows the catalog with blocking
        // queries, so an instance Nomad deregisters (shutdown_delay) stops getting requests at once.
        exposedByDefault: false,
        prefix: "traefik",
        watch: true,
        // The local agent's plain HTTP on loopback: nothing else on the network reaches it.
        endpoint: { address: `${CONSUL.http.host}:${CONSUL.http.port}`, scheme: "http", token: consulToken },
      },
      file: { directory: TRAEFIK.dynamicDir, watch: true },
    },
    ...(inv.traefik.dashboardHost && { api: { dashboard: true } }),
    ...(acme && {
      certificatesResolvers: {
        [TRAEFIK.resolver]: {
          acme: { email: acme, storage: TRAEFIK.acmeStorage, httpChallenge: { entryPoint: "web" } },
        },
      },
    }),
    accessLog: { format: "json" },
    log: { level: "INFO" },
  };
}

/**
 * The dashboard's routers (dynamic config, file provider): on the dashboard host through the public entry point,
 * and on the private `traefik` entry point for `np open traefik`; both behind basic auth with np's password.
 */
export function dashboardDynamic(inv: Inventory, password: Secret): Record<string, unknown> {
  const host = inv.traefik.dashboardHost;
  const acme = inv.traefik.acmeEmail;
  return {
    http: {
      routers: {
        "np-dashboard": {
          rule: `Host(\`${host}\`)`,
          entryPoints: [acme ? "websecure" : "web"],
          service: "api@internal",
          middlewares: ["np-dashboard-auth"],
          ...(acme && { tls: { certResolver: TRAEFIK.resolver } }),
        },
        "np-dashboard-private": {
          rule: "PathPrefix(`/`)",
          entryPoints: ["traefik"],
          service: "api@internal",
          middlewares: ["np-dashboard-auth"],
        },
      },
      middlewares: {
        "np-dashboard-auth": {
          basicAuth: { users: [new Secret(htpasswdLine(TRAEFIK.dashboardUser, password.reveal()))] },
        },
      },
    },
  };
}

/**
 * Traefik's registration in Consul: service `traefik` (not routed: it has no traefik.enable tag), /ping as its
 * check, with a token that may register that service only.
 */
export function consulServiceDefinition(host: HostSpec, token: Secret): Record<string, unknown> {
  return {
    service: {
      name: "traefik",
      id: "traefik",
      token,
      address: host.privateAddress,
      port: TRAEFIK.webPort,
      tags: ["np"],
      check: {
        id: "traefik-ping",
        http: `http://${host.privateAddress}:${TRAEFIK.privatePort}/ping`,
        interval: "10s",
        timeout: "2s",
      },
    },
  };
}

const placement = (path: string, restarts: string[]) => ({
  path,
  mode: "0640",
  owner: "root",
  group: "traefik",
  restarts,
});

/** Traefik on edge hosts: ingress on :80/:443, routes from the Consul catalog. Runs as `traefik`, not root. */
export const traefik: Component = {
  name: "traefik",
  unit: "traefik",
  runsOn: isEdge,
  secrets: [DASHBOARD_SECRET],
  user: { name: "traefik", group: "traefik", home: TRAEFIK.dataDir },
  binaries: (inv) => [{ path: TRAEFIK.binary, product: "traefik", version: inv.versions.traefik }],
  dirs: () => [
    { path: TRAEFIK.configDir, mode: "0750", owner: "root", group: "traefik" },
    { path: TRAEFIK.dynamicDir, mode: "0750", owner: "root", group: "traefik" },
    { path: TRAEFIK.dataDir, mode: "0750", owner: "traefik", group: "traefik" },
  ],
  files: ({ inv, host, secrets }: RenderInput) => [
    documentFile(
      traefikStatic(inv, host, secrets.get(CONSUL_TOKEN.traefik)),
      yaml,
      placement(TRAEFIK.config, ["traefik"]),
    ),
    // Traefik watches the folder: a change to the dashboard's routers needs no restart.
    ...(inv.traefik.dashboardHost
      ? [
          documentFile(
            dashboardDynamic(inv, secrets.get(DASHBOARD_SECRET.name)),
            yaml,
            placement(TRAEFIK.dashboardConfig, []),
          ),
        ]
      : []),
    // Registered in the local Consul agent with /ping as its check: `np status` reads every edge's health there.
    consulServiceFile("traefik", consulServiceDefinition(host, secrets.get(CONSUL_TOKEN.traefikService))),
    renderFile(
      "traefik.service",
      { binary: TRAEFIK.binary, config: TRAEFIK.config, user: "traefik", group: "traefik" },
      { path: TRAEFIK.unit, mode: "0644", owner: "root", group: "root", restarts: ["traefik"] },
    ),
  ],
  ports: () => [tcp(TRAEFIK.webPort), tcp(TRAEFIK.websecurePort), tcp(TRAEFIK.privatePort)],
  // One edge at a time, each back behind /ping before the next: with two edges, ingress never goes dark.
  restartPolicy: () => "rolling",
  service: "traefik",
  ready: (host) => ({ host: host.privateAddress, port: TRAEFIK.privatePort, path: "/ping" }),
  // /ping answers before the Consul catalog provider has delivered the first routes: the web entry point's answers
  // say when the edge routes again.
  routesOn: TRAEFIK.webPort,
};
