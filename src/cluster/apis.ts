import type { Agent } from "undici";
import { ConsulApi } from "../api/consul.js";
import { NomadApi } from "../api/nomad.js";
import { tunnelDispatcher } from "../api/tunnel.js";
import type { SshConnection } from "../remote/connection.js";

/** Consul's HTTP API listens on loopback only (client_addr); reach it through SSH on a server. */
export const CONSUL_HTTP = { host: "127.0.0.1", port: 8500 };
export const NOMAD_HTTP_PORT = 4646;

/** Cluster APIs through SSH tunnels, one dispatcher per (connection, target), closed together. */
export class ApiTunnels {
  private readonly dispatchers: Agent[] = [];
  private readonly cache = new Map<string, ConsulApi | NomadApi>();

  /** The API of `service` on one server, through that server's SSH connection (cached). */
  for(service: "consul" | "nomad", conn: SshConnection, privateAddress: string): ConsulApi | NomadApi {
    const key = `${service}@${conn.name}`;
    let api = this.cache.get(key);
    if (!api) {
      api = service === "consul" ? this.consul(conn) : this.nomad(conn, privateAddress);
      this.cache.set(key, api);
    }
    return api;
  }

  consul(conn: SshConnection): ConsulApi {
    const d = tunnelDispatcher(conn, CONSUL_HTTP.host, CONSUL_HTTP.port);
    this.dispatchers.push(d);
    return new ConsulApi(`http://${CONSUL_HTTP.host}:${CONSUL_HTTP.port}`, d);
  }

  /** Nomad binds its HTTP API to the server's private address. */
  nomad(conn: SshConnection, privateAddress: string): NomadApi {
    const d = tunnelDispatcher(conn, privateAddress, NOMAD_HTTP_PORT);
    this.dispatchers.push(d);
    return new NomadApi(`http://${privateAddress}:${NOMAD_HTTP_PORT}`, d);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.dispatchers.map((d) => d.destroy()));
  }
}
