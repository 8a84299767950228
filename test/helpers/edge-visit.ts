import http from "node:http";

/**
 * GET through an edge's Traefik (:80) with the app's host name, as a visitor would; status 0 and why on failure.
 * Each visit opens its own connection, so an edge that restarted is seen as it is now.
 */
export const visitEdge = (address: string, hostName: string, p = "/", timeoutMs = 3000) =>
  new Promise<{ status: number; body: string }>((resolve) => {
    const req = http.get(
      { host: address, port: 80, path: p, headers: { host: hostName }, timeout: timeoutMs, agent: false },
      (res) => {
        let body = "";
        res.on("data", (c: Buffer) => {
          body += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", (e) => resolve({ status: 0, body: e.message }));
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
