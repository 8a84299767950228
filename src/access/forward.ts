import net from "node:net";
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
 */
export async function forwardLocalPort(
  conn: SshConnection,
  target: { host: string; port: number },
  port: number,
  onError: (message: string) => void = () => {},
): Promise<Forward> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    conn.forwardOut(target.host, target.port, `forwarding to ${target.host}:${target.port}`).then(
      (channel) => {
        channel.on("error", () => sock.destroy());
        sock.on("close", () => channel.destroy());
        channel.on("close", () => sock.destroy());
        sock.pipe(channel).pipe(sock);
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
