import path from "node:path";
import type { Agent } from "undici";
import { ConsulApi } from "../api/consul.js";
import { NomadApi } from "../api/nomad.js";
import { tunnelDispatcher } from "../api/tunnel.js";
import { CONSUL, MANAGEMENT_TOKEN } from "../components/consul/index.js";
import { NOMAD, NOMAD_MANAGEMENT, NOMAD_TOKEN } from "../components/nomad/index.js";
import type { Inventory } from "../inventory/index.js";
import { operatorProfile } from "../pki/profiles.js";
import { PkiStore } from "../pki/store.js";
import type { SshConnection } from "../remote/connection.js";
import { type Secret, SecretStore } from "../secrets/index.js";

/** How np reaches Consul: over HTTPS checked against the cluster CA when there is one, with its token if it has one. */
export interface ConsulAccess {
  /** The cluster CA (PEM); without one, the plain HTTP API (a cluster made before np had TLS). */
  ca?: string;
  /** np's token (the management token), read at each request: the bootstrap may give it mid-run. */
  token?: Secret;
  /**
   * Servers (by host name) whose Consul serves no HTTPS yet: a cluster an earlier np made, before its migration to
   * TLS reached them. np reaches them over the plain HTTP API on loopback, and without its token (they have no
   * ACLs yet either, and np's token never travels unencrypted).
   */
  plainHttp?: Set<string>;
}

/** What np holds for Consul in `.np/` (never creating anything): for the commands that only read the cluster. */
export async function consulAccessOf(inv: Inventory): Promise<ConsulAccess> {
  const stateDir = path.join(inv.dir, ".np");
  const [ca, secrets] = await Promise.all([
    new PkiStore(stateDir).caCert(),
    new SecretStore(stateDir).load([MANAGEMENT_TOKEN]),
  ]);
  return { ca, token: secrets.find(MANAGEMENT_TOKEN.name) };
}

/**
 * How np reaches Nomad: over HTTPS, checking Nomad's certificate against the cluster CA and presenting np's own
 * client certificate (Nomad's verify_https_client), when np holds both; with a token when it has one.
 */
export interface NomadAccess {
  /** The cluster CA and np's operator certificate (PEM); without them, the plain HTTP API (an older cluster). */
  tls?: { ca: string; cert: string; key: string };
  /** The token np sends, read at each request. */
  token?: Secret;
  /**
   * Servers (by host name) whose Nomad serves no HTTPS yet: a cluster an earlier np made, before its migration to
   * TLS reached them. np reaches them over plain HTTP, without its token (it never travels unencrypted).
   */
  plainHttp?: Set<string>;
}

/**
 * What np holds for Nomad in `.np/` (never creating anything): the CA, np's client certificate, and `token`'s
 * secret: `management` for np status (autopilot and raft reads), `apps` for the app commands.
 */
export async function nomadAccessOf(inv: Inventory, token: "management" | "apps"): Promise<NomadAccess> {
  const stateDir = path.join(inv.dir, ".np");
  const pki = new PkiStore(stateDir);
  const name = token === "management" ? NOMAD_MANAGEMENT.name : NOMAD_TOKEN.apps;
  const spec = { name, valid: NOMAD_MANAGEMENT.valid, describe: NOMAD_MANAGEMENT.describe };
  const [ca, operator, secrets] = await Promise.all([
    pki.caCert(),
    pki.storedLeaf(operatorProfile(inv.cluster.name).id),
    new SecretStore(stateDir).load([spec]),
  ]);
  return {
    ...(ca && operator && { tls: { ca, cert: operator.certPem, key: operator.keyPem } }),
    token: secrets.find(name),
  };
}

/** Cluster APIs through SSH tunnels, one dispatcher per (connection, target), closed together. */
export class ApiTunnels {
  private readonly dispatchers: Promise<Agent>[] = [];
  private readonly cache = new Map<string, ConsulApi | NomadApi>();

  constructor(
    readonly consulAccess: ConsulAccess = {},
    readonly nomadAccess: NomadAccess = {},
    /** Connections per tunnel (see tunnelDispatcher): np up asks for few, in bursts; np logs -f holds several. */
    private readonly opts: { connections?: number } = {},
  ) {}

  /** The API of `service` on one server, through that server's SSH connection (cached). */
  for(service: "consul", conn: SshConnection, privateAddress: string): ConsulApi;
  for(service: "nomad", conn: SshConnection, privateAddress: string): NomadApi;
  for(service: "consul" | "nomad", conn: SshConnection, privateAddress: string): ConsulApi | NomadApi;
  for(service: "consul" | "nomad", conn: SshConnection, privateAddress: string): ConsulApi | NomadApi {
    // Keyed by the way in too: an API made before np learnt that a server serves plain HTTP only (np up's early
    // reads run before the security stages are known) is never handed out for it afterwards.
    const plain = (service === "consul" ? this.consulAccess : this.nomadAccess).plainHttp?.has(conn.name);
    const key = `${service}@${conn.name}${plain ? " plain" : ""}`;
    let api = this.cache.get(key);
    if (!api) {
      api = service === "consul" ? this.consul(conn) : this.nomad(conn, privateAddress);
      this.cache.set(key, api);
    }
    return api;
  }

  /**
   * Runs `fn` with the Consul API of one server. A server that refuses HTTPS while np holds a CA is one an earlier
   * np made, its migration to TLS not there yet (`np status` while `np up` migrates): it is asked again over its
   * plain HTTP API on loopback, without np's token, and reached that way from then on.
   */
  async askConsul<T>(conn: SshConnection, fn: (consul: ConsulApi) => Promise<T>): Promise<T> {
    try {
      return await fn(this.for("consul", conn, ""));
    } catch (err) {
      this.consulAccess.plainHttp ??= new Set();
      const plain = this.consulAccess.plainHttp;
      if (this.consulAccess.ca === undefined || plain.has(conn.name) || !httpsRefused(err)) throw err;
      plain.add(conn.name);
      this.forget("consul", conn);
      return fn(this.for("consul", conn, ""));
    }
  }

  /**
   * Runs `fn` with the Nomad API of one server. A server that answers np's TLS handshake in plain HTTP while np
   * holds a CA is one an earlier np made, its migration to TLS not there yet: it is asked again over plain HTTP,
   * without np's token, and reached that way from then on (like askConsul).
   */
  async askNomad<T>(
    conn: SshConnection,
    privateAddress: string,
    fn: (nomad: NomadApi) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(this.for("nomad", conn, privateAddress));
    } catch (err) {
      this.nomadAccess.plainHttp ??= new Set();
      const plain = this.nomadAccess.plainHttp;
      if (this.nomadAccess.tls === undefined || plain.has(conn.name) || !answeredInPlain(err)) throw err;
      plain.add(conn.name);
      this.forget("nomad", conn);
      return fn(this.for("nomad", conn, privateAddress));
    }
  }

  /** Drops the cached API of `service` on one server: its way in changed (a migration step gave it HTTPS). */
  forget(service: "consul" | "nomad", conn: SshConnection): void {
    this.cache.delete(`${service}@${conn.name}`);
    this.cache.delete(`${service}@${conn.name} plain`);
  }

  /**
   * Consul's APIs listen on the server's loopback only: HTTPS on 8501, whose certificate names 127.0.0.1 and is
   * checked against the cluster CA inside the tunnel; plain HTTP on 8500 for a cluster without a CA, and without
   * np's token for a server not migrated to TLS yet.
   */
  private consul(conn: SshConnection): ConsulApi {
    const { ca, plainHttp } = this.consulAccess;
    const plainOnly = plainHttp?.has(conn.name) === true;
    const tls = ca !== undefined && !plainOnly;
    const { host, port } = tls ? CONSUL.https : CONSUL.http;
    const d = tunnelDispatcher(conn, host, port, tls ? { ca, host } : undefined, this.opts.connections);
    this.dispatchers.push(d);
    return new ConsulApi(`${tls ? "https" : "http"}://${host}:${port}`, d, () =>
      plainOnly ? undefined : this.consulAccess.token?.reveal(),
    );
  }

  /**
   * Nomad binds its HTTP API to the server's private address: HTTPS there, whose certificate names that address
   * and is checked against the cluster CA inside the tunnel, np presenting its operator certificate.
   */
  private nomad(conn: SshConnection, privateAddress: string): NomadApi {
    const plainOnly = this.nomadAccess.plainHttp?.has(conn.name) === true;
    const tls = plainOnly ? undefined : this.nomadAccess.tls;
    const d = tunnelDispatcher(
      conn,
      privateAddress,
      NOMAD.httpPort,
      tls && { ...tls, host: privateAddress },
      this.opts.connections,
    );
    this.dispatchers.push(d);
    return new NomadApi(`${tls ? "https" : "http"}://${privateAddress}:${NOMAD.httpPort}`, d, () =>
      plainOnly ? undefined : this.nomadAccess.token?.reveal(),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.dispatchers.map(async (d) => (await d).destroy()));
  }
}

/** Whether a request failed because nothing listens on Consul's HTTPS port (the tunnel to it was refused). */
function httpsRefused(err: unknown): boolean {
  const target = `cannot open a tunnel to ${CONSUL.https.host}:${CONSUL.https.port}`;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e.message.includes(target) && /refused/i.test(e.message)) return true;
  return false;
}

/** Whether a TLS handshake failed because the server answered in plain text (OpenSSL's record-layer errors). */
function answeredInPlain(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/.test(code))
      return true;
    if (/wrong version number|packet length too long/i.test(e.message)) return true;
  }
  return false;
}
