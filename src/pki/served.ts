import type { Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { SshConnection } from "../remote/connection.js";

/**
 * The certificate a TLS listener serves, as DER, read through an SSH tunnel from the host itself (loopback
 * listeners included). Nothing is trusted or sent: np only looks at what the listener presents.
 */
export async function servedCertificate(conn: SshConnection, host: string, port: number): Promise<Buffer> {
  const channel = await conn.forwardOut(host, port, `reading the certificate served on ${host}:${port}`);
  return new Promise<Buffer>((resolve, reject) => {
    const socket = tlsConnect({ socket: channel as unknown as Socket, rejectUnauthorized: false });
    const done = (err: Error | null, der?: Buffer) => {
      socket.destroy();
      channel.destroy();
      if (err) reject(err);
      else resolve(der as Buffer);
    };
    socket.setTimeout(10_000, () => done(new Error(`no TLS handshake with ${host}:${port} within 10 s`)));
    socket.once("error", (err) => done(err));
    socket.once("secureConnect", () => {
      const der = socket.getPeerCertificate().raw;
      done(der ? null : new Error(`${host}:${port} presented no certificate`), der);
    });
  });
}
