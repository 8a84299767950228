import http from "node:http";
import type https from "node:https";

/** What an HTTP exchange returned. */
export interface HttpResponse {
  status: number;
  body: string;
}

/** The request could not complete (connection refused, timeout, body too large...). */
export class HttpError extends Error {}

export interface HttpRequest {
  method: "GET" | "PUT" | "POST" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Larger responses are refused (the agent's memory is bounded). */
  maxBodyBytes?: number;
  /** For an https URL: the CA to check the server with and the client certificate to present (PEM texts). */
  tls?: TlsIdentity;
}

/** A server's CA and the agent's own client certificate and key, PEM. */
export interface TlsIdentity {
  ca: string;
  cert: string;
  key: string;
}

// node:http only (design.md §Performance: loading fetch/undici costs ~14 MB). One keep-alive agent per scheme;
// https is loaded only when a configured URL needs it.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4, maxFreeSockets: 2, timeout: 60_000 });
let httpsModule: { mod: typeof https; agent: https.Agent } | undefined;
// One keep-alive agent per TLS identity (the agent has one: Nomad's): they live as long as the identity object.
const tlsAgents = new WeakMap<TlsIdentity, https.Agent>();

async function transport(
  url: URL,
  tls: TlsIdentity | undefined,
): Promise<{ request: typeof http.request; agent: http.Agent }> {
  if (url.protocol === "http:") return { request: http.request, agent: httpAgent };
  if (!httpsModule) {
    // Not `import()`: see agent/build.mjs on why built-ins are not imported as ESM.
    const mod = process.getBuiltinModule("node:https") as typeof https;
    httpsModule = { mod, agent: new mod.Agent({ keepAlive: true, maxSockets: 4, timeout: 60_000 }) };
  }
  const { mod } = httpsModule;
  let agent = httpsModule.agent;
  if (tls) {
    agent = tlsAgents.get(tls) ?? new mod.Agent({ keepAlive: true, maxSockets: 2, timeout: 60_000, ...tls });
    tlsAgents.set(tls, agent);
  }
  return { request: mod.request as typeof http.request, agent };
}

/** One HTTP request with node:http; resolves with any status, rejects with HttpError when there is none. */
export async function httpRequest(req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  const { request, agent } = await transport(url, req.tls);
  const maxBody = req.maxBodyBytes ?? 8 * 1024 * 1024;
  const timeoutMs = req.timeoutMs ?? 10_000;
  return new Promise<HttpResponse>((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers["content-length"] = Buffer.byteLength(req.body);
    const r = request(url, { method: req.method, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > maxBody) {
          res.destroy(new HttpError(`${req.method} ${url.pathname}: response larger than ${maxBody} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on("error", (err) => reject(err instanceof HttpError ? err : new HttpError(err.message)));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    r.setTimeout(timeoutMs, () => r.destroy(new HttpError(`no answer within ${timeoutMs} ms`)));
    r.on("error", (err) => reject(err instanceof HttpError ? err : new HttpError(err.message)));
    r.end(req.body);
  });
}

/** The first line of an error body, bounded, for problem messages. */
export function bodyHead(body: string): string {
  const line = body.trim().split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
