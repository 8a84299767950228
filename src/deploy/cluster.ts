import path from "node:path";
import { connect as tlsConnect } from "node:tls";
import type { Agent } from "undici";
import type { ConsulApi } from "../api/consul.js";
import type { NomadApi } from "../api/nomad.js";
import { tunnelDispatcher } from "../api/tunnel.js";
import { type DispatcherRef, undici } from "../api/undici.js";
import { ApiTunnels, consulAccessOf, nomadAccessOf } from "../cluster/apis.js";
import { OPENOBSERVE } from "../components/openobserve/index.js";
import { HostError, HostsFailed, OperationError } from "../errors.js";
import type { HostSpec, Inventory } from "../inventory/index.js";
import type { SshConnection } from "../remote/connection.js";
import { Session } from "../remote/session.js";
import { type EdgeHttp, edgeHttpOver } from "./edge-http.js";
import { type LogSearch, openobserveSearchOver } from "./openobserve-search.js";

/** What the app commands talk to: Nomad and Consul on a server, an edge's entry points, OpenObserve. */
export interface AppCluster {
  nomad: NomadApi;
  consul: ConsulApi;
  /** The server the APIs are reached through (for messages). */
  via: string;
  /** HTTP to an edge node's entry points (:80, :443), as a visitor would reach them; null without edges. */
  edge(): Promise<EdgeHttp | null>;
  /** OpenObserve's search API on the observe host; null without one. */
  logSearch(): Promise<LogSearch | null>;
  close(): Promise<void>;
}

/**
 * Opens the cluster for the app commands: every API call goes through SSH (tunnels from the operator's machine
 * to a server's Nomad and Consul, an edge's :80/:443, the observe host's private :5080); nothing needs a port
 * open to the operator's network. The first server that answers is used.
 */
export async function openAppCluster(inv: Inventory, signal: AbortSignal): Promise<AppCluster> {
  const session = await Session.create({ stateDir: path.join(inv.dir, ".np"), signal });
  // Consul through HTTPS with the cluster CA and np's token; Nomad through HTTPS with np's client certificate and
  // the app commands' own token (their capabilities only: src/components/nomad/acl.ts).
  const tunnels = new ApiTunnels(await consulAccessOf(inv), await nomadAccessOf(inv, "apps"));
  const dispatchers: DispatcherRef[] = [];
  const close = async () => {
    await Promise.allSettled(dispatchers.map(async (d) => (await d).destroy()));
    await tunnels.close();
    await session.close();
  };
  try {
    const servers = inv.hosts.filter((h) => h.roles.includes("server"));
    const failures: HostError[] = [];
    for (const host of servers) {
      try {
        const conn = await session.connect(host);
        const nomad = tunnels.for("nomad", conn, host.privateAddress);
        await nomad.leader();
        const consul = tunnels.for("consul", conn, host.privateAddress);
        const firstAnswering = (role: "edge" | "observe") => firstConnected(session, inv, role);
        const edge = once(async () => {
          const e = await firstAnswering("edge");
          if (!e) return null;
          // Traefik's entry points listen on every address of the edge: reached from the edge itself.
          return edgeHttpOver(e.host.name, (port, servername) => {
            const d = servername
              ? tlsTunnelDispatcher(e.conn, port, servername)
              : tunnelDispatcher(e.conn, "127.0.0.1", port);
            dispatchers.push(d);
            return d;
          });
        });
        const logSearch = once(async () => {
          const o = await firstAnswering("observe");
          if (!o) return null;
          const d = tunnelDispatcher(o.conn, o.host.privateAddress, OPENOBSERVE.httpPort);
          dispatchers.push(d);
          return openobserveSearchOver(inv, `http://${o.host.privateAddress}:${OPENOBSERVE.httpPort}`, d);
        });
        return { nomad, consul, via: host.name, edge, logSearch, close };
      } catch (err) {
        if (err instanceof HostError) failures.push(err);
        else if (err instanceof OperationError)
          failures.push(new HostError(host.name, err.message.replace(/^Nomad API: /, "Nomad: ")));
        else throw err;
      }
    }
    throw failures.length > 0
      ? new HostsFailed(failures)
      : new OperationError("the inventory has no server: no Nomad to deploy to");
  } catch (err) {
    await close();
    throw err;
  }
}

/** `fn`'s promise, made on the first call and shared by the later ones. */
function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= fn();
    return p;
  };
}

/** The first host with `role` np can reach over SSH, or null when the inventory has none (all down: throws). */
async function firstConnected(
  session: Session,
  inv: Inventory,
  role: "edge" | "observe",
): Promise<{ host: HostSpec; conn: SshConnection } | null> {
  const hosts = inv.hosts.filter((h) => h.roles.includes(role));
  if (hosts.length === 0) return null;
  const failures: HostError[] = [];
  for (const host of hosts) {
    try {
      return { host, conn: await session.connect(host) };
    } catch (err) {
      if (!(err instanceof HostError)) throw err;
      failures.push(err);
    }
  }
  throw new HostsFailed(failures);
}

/** HTTPS to the edge's :443 through SSH, with `servername` for SNI and certificate checks (Traefik's ACME cert). */
async function tlsTunnelDispatcher(conn: SshConnection, port: number, servername: string): Promise<Agent> {
  const { Agent } = await undici();
  return new Agent({
    connect: (_opts, callback) => {
      conn.forwardOut("127.0.0.1", port).then(
        (channel) => {
          const socket = tlsConnect({ socket: channel as unknown as import("node:net").Socket, servername });
          socket.once("secureConnect", () => callback(null, socket));
          socket.once("error", (err) => callback(err, null));
        },
        (err: Error) => callback(err, null),
      );
    },
  });
}
