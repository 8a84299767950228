import http from "node:http";

/** What the server asks of the agent on each request. */
export interface ReportSource {
  /** The full node report (GET /v1/node). */
  report(): object;
  /** The agent's health: 200 when it can do its job, 503 otherwise (GET /v1/health). */
  health(): { healthy: boolean; body: object };
}

function send(res: http.ServerResponse, status: number, body: object): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(text);
}

/** Serves GET /v1/node and GET /v1/health; anything else is 404 (405 for other methods), always JSON. */
export function createAgentServer(source: ReportSource): http.Server {
  const server = http.createServer((req, res) => {
    try {
      const path = (req.url ?? "/").split("?", 1)[0];
      if (path !== "/v1/node" && path !== "/v1/health")
        return send(res, 404, { error: `no such endpoint: ${path}` });
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.setHeader("allow", "GET, HEAD");
        return send(res, 405, { error: `${req.method} not allowed; use GET` });
      }
      if (path === "/v1/node") return send(res, 200, source.report());
      const h = source.health();
      return send(res, h.healthy ? 200 : 503, h.body);
    } catch (err) {
      send(res, 500, { error: (err as Error).message });
    }
  });
  // Keep idle connections short: Consul's check opens one every interval.
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  return server;
}
