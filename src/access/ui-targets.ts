import path from "node:path";
import { CONSUL, MANAGEMENT_TOKEN } from "../components/consul/index.js";
import { NOMAD, NOMAD_MANAGEMENT } from "../components/nomad/index.js";
import { OPENOBSERVE, ROOT_SECRET, rootEmail } from "../components/openobserve/index.js";
import { DASHBOARD_SECRET, TRAEFIK } from "../components/traefik/index.js";
import { InputError } from "../errors.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import { SecretStore } from "../secrets/index.js";
import type { Ui } from "./uis.js";

/** Where a UI is, as the host that serves it sees it, and how to log in. */
export interface UiTarget {
  /** Hosts that serve it, in the order np tries them. */
  hosts: HostSpec[];
  /** host:port as seen from the serving host (loopback, or its private address). */
  remote: (host: HostSpec) => { host: string; port: number };
  /** The local port tried first (the UI's usual one). */
  localPort: number;
  /** The path of the UI. */
  path: string;
  /** How to log in, in words; never the secret itself, only where it is kept. */
  credentials: string;
  /** The UI is HTTPS that wants np's client certificate (Nomad's): np speaks TLS for the browser. */
  clientTls?: true;
}

/** Where `ui` is served in this inventory, or an InputError saying why it is not. */
export function uiTarget(inv: Inventory, ui: Ui): UiTarget {
  const store = new SecretStore(path.join(inv.dir, ".np"));
  const servers = inv.hosts.filter((h) => h.roles.includes("server"));
  switch (ui) {
    case "consul":
      return {
        hosts: servers,
        remote: () => ({ host: CONSUL.http.host, port: CONSUL.http.port }),
        localPort: CONSUL.http.port,
        path: "/ui/",
        // ACLs deny everything without a token: the UI's "Log in" takes np's management token.
        credentials: `token in ${store.fileOf(MANAGEMENT_TOKEN.name)} (the UI's Log in; it is the management token)`,
      };
    case "nomad":
      return {
        hosts: servers,
        remote: (h) => ({ host: h.privateAddress, port: NOMAD.httpPort }),
        localPort: NOMAD.httpPort,
        path: "/ui/",
        // np speaks HTTPS with its client certificate for the browser; ACLs deny everything without a token.
        credentials: `token in ${store.fileOf(NOMAD_MANAGEMENT.name)} (the UI's ACL Tokens page; it is the management token)`,
        clientTls: true,
      };
    case "openobserve": {
      const observe = inv.hosts.filter((h) => h.roles.includes("observe"));
      if (observe.length === 0)
        throw new InputError("the inventory has no observe host: no OpenObserve to open");
      return {
        hosts: observe,
        remote: (h) => ({ host: h.privateAddress, port: OPENOBSERVE.httpPort }),
        localPort: OPENOBSERVE.httpPort,
        path: "/web/",
        credentials: `user ${rootEmail(inv)}, password in ${store.fileOf(ROOT_SECRET.name)}`,
      };
    }
    case "traefik": {
      const edges = inv.hosts.filter((h) => h.roles.includes("edge"));
      if (edges.length === 0) throw new InputError("the inventory has no edge host: no Traefik to open");
      if (!inv.traefik.dashboardHost)
        throw new InputError(
          "Traefik's dashboard is off",
          [],
          "set traefik.dashboard_host in the inventory and run `np up`: the dashboard is then served behind basic auth",
        );
      return {
        hosts: edges,
        remote: (h) => ({ host: h.privateAddress, port: TRAEFIK.privatePort }),
        localPort: TRAEFIK.privatePort,
        path: "/dashboard/",
        credentials: `user ${TRAEFIK.dashboardUser}, password in ${store.fileOf(DASHBOARD_SECRET.name)}`,
      };
    }
  }
}
