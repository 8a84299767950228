import type { Agent } from "undici";
import { ConsulApi } from "../api/consul.js";
import { NomadApi } from "../api/nomad.js";
import { tunnelDispatcher } from "../api/tunnel.js";
import { CONSUL } from "../components/consul/index.js";
import { NOMAD } from "../components/nomad/index.js";
import type { SshConnection } from "../remote/connection.js";

/** Cluster APIs through SSH tunnels, one dispatcher per (connection, target), closed together. */
export class ApiTunnels {
  private readonly dispatchers: Agent[] = [];
  private readonly cache = new Map<string, ConsulApi | NomadApi>();

  /** The API of `service` on one server, through that server's SSH connection (cached). */
  for(service: "consul", conn: SshConnection, privateAddress: string): ConsulApi;
  for(service: "nomad", conn: SshConnection, privateAddress: string): NomadApi;
  for(service: "consul" | "nomad", conn: SshConnection, privateAddress: string): ConsulApi | NomadApi;
  for(service: "consul" | "nomad", conn: SshConnection, privateAddress: string): ConsulApi | NomadApi {
    const key = `${service}@${conn.name}`;
    let api = this.cache.get(key);
    if (!api) {
      api = service === "consul" ? this.consul(conn) : this.nomad(conn, privateAddress);
      this.cache.set(key, api);
    }
    return api;
  }

  /** Consul's HTTP API listens on loopback only (client_addr): reached from the host itself. */
  private consul(conn: SshConnection): ConsulApi {
    const d = tunnelDispatcher(conn, CONSUL.http.host, CONSUL.http.port);
    this.dispatchers.push(d);
    return new ConsulApi(`http://${CONSUL.http.host}:${CONSUL.http.port}`, d);
  }

  /** Nomad binds its HTTP API to the server's private address. */
  private nomad(conn: SshConnection, privateAddress: string): NomadApi {
    const d = tunnelDispatcher(conn, privateAddress, NOMAD.httpPort);
    this.dispatchers.push(d);
    return new NomadApi(`http://${privateAddress}:${NOMAD.httpPort}`, d);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.dispatchers.map((d) => d.destroy()));
  }
}
