import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { TunnelTls } from "../api/tunnel.js";
import type { SshConnection } from "../remote/connection.js";

/** A local port forwarded through SSH: close() stops listening and ends every forwarded connection. */
export interface Forward {
  port: number;
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1:`port` (0: any free port) and forwards every connection through `conn` to host:targetPort
 * as the remote host sees it. Nothing listens on the operator's network, and the remote side is reached over SSH
 * only. When the wanted port is taken, a free one is used instead (the caller prints the URL it gets).
 * With `remoteTls`, np speaks TLS to the target inside the SSH channel (checking its certificate against the CA,
 * presenting np's client certificate) and the local port speaks plain HTTP: a browser has no client certificate.
 */
export async function forwardLocalPort(
  conn: SshConnection,
  target: { host: string; port: number },
  port: number,
  onError: (message: string) => void = () => {},
  remoteTls?: TunnelTls,
): Promise<Forward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    conn.forwardOut(target.host, target.port, `forwarding to ${target.host}:${target.port}`).then(
      (channel) => {
        const remote: Duplex = remoteTls ? secureChannel(channel, remoteTls, onError) : channel;
        remote.on("error", () => sock.destroy());
        sock.on("close", () => remote.destroy());
        remote.on("close", () => sock.destroy());
        sock.pipe(remote).pipe(sock);
      },
      (err: Error) => {
        onError(err.message);
        sock.destroy();
      },
    );
  });
  const listen = (p: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(p, "127.0.0.1", () => {
        server.off("error", reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const bound = await listen(port).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "EADDRINUSE" && port !== 0) return listen(0);
    throw err;
  });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** TLS inside a forwarded channel: the target's certificate checked against the CA, np's own presented. */
function secureChannel(channel: Duplex, t: TunnelTls, onError: (message: string) => void): Duplex {
  const secure = tls.connect({
    socket: channel as net.Socket,
    ca: t.ca,
    host: t.host,
    ...(t.cert && t.key && { cert: t.cert, key: t.key }),
  });
  secure.once("error", (err) => onError(`TLS to ${t.host}: ${err.message}`));
  return secure;
}
