import { Agent } from "undici";
import type { SshConnection } from "../remote/connection.js";

/**
 * An undici dispatcher whose connections are SSH channels (`forwardOut`) to host:port as seen from the SSH host,
 * so cluster APIs are never exposed to the operator's network. undici reuses one channel for sequential requests.
 */
export function tunnelDispatcher(conn: SshConnection, host: string, port: number): Agent {
  return new Agent({
    connections: 4,
    connect: (_opts, callback) => {
      conn.forwardOut(host, port).then(
        (channel) => callback(null, channel as unknown as import("node:net").Socket),
        (err: Error) => callback(err, null),
      );
    },
  });
}
