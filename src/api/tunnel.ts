import type { Socket } from "node:net";
import { createSecureContext, connect as tlsConnect } from "node:tls";
import type { Agent } from "undici";
import type { SshConnection } from "../remote/connection.js";
import { undici } from "./undici.js";

/** How to speak TLS inside a tunnel: the CA the server's certificate must chain to, and the name it must carry. */
export interface TunnelTls {
  ca: string;
  /** The name or IP checked against the certificate's SANs (e.g. 127.0.0.1 for a loopback listener). */
  host: string;
  /** np's client certificate and key (PEM), for servers that verify their callers (Nomad's verify_https_client). */
  cert?: string;
  key?: string;
}

/**
 * An undici dispatcher whose connections are SSH channels (`forwardOut`) to host:port as seen from the SSH host,
 * so cluster APIs are never exposed to the operator's network. undici reuses one channel for sequential requests.
 * With `tls`, TLS runs inside the channel and the server must present a certificate of that CA for that name (and np
 * presents its own client certificate when `tls` has one).
 */
export async function tunnelDispatcher(
  conn: SshConnection,
  host: string,
  port: number,
  tls?: TunnelTls,
  /** Connections (channels) at most: each is a TLS handshake; a long-lived stream (np logs -f) holds one. */
  connections = 4,
): Promise<Agent> {
  const { Agent } = await undici();
  // One TLS context per tunnel (parsing the CA and np's certificate and key once), and each new connection resumes
  // the last one's session: a full handshake costs np and the server a few ms of CPU each, through a JS stream.
  const context =
    tls && createSecureContext({ ca: tls.ca, ...(tls.cert && tls.key && { cert: tls.cert, key: tls.key }) });
  let session: Buffer | undefined;
  return new Agent({
    connections,
    connect: (_opts, callback) => {
      conn.forwardOut(host, port).then(
        (channel) => {
          if (!tls) return callback(null, channel as unknown as Socket);
          const secure = tlsConnect({
            socket: channel as unknown as Socket,
            secureContext: context,
            host: tls.host,
            ...(session && { session }),
          });
          secure.on("session", (s: Buffer) => {
            session = s;
          });
          const fail = (err: Error) => callback(err, null);
          secure.once("error", fail);
          secure.once("secureConnect", () => {
            secure.off("error", fail);
            callback(null, secure);
          });
        },
        (err: Error) => callback(err, null),
      );
    },
  });
}
