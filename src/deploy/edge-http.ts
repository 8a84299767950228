import { type DispatcherRef, undici } from "../api/undici.js";
import { type AppRoute, appUrl } from "./app-url.js";

/** One answer of an edge's entry point. */
export interface EdgeAnswer {
  status: number;
  /** The first line of the body (Traefik's "404 page not found", "no available server", …). */
  text: string;
}

/** HTTP to one edge node's entry points, as a visitor of the app's host name would reach them. */
export interface EdgeHttp {
  /** The edge node's name. */
  name: string;
  /** GET `path` of the app (Host header: `host`) on the edge's :80, or :443 with TLS (SNI `host`). */
  get(host: string, path: string, https: boolean, timeoutMs: number): Promise<EdgeAnswer>;
}

/** An EdgeHttp over dispatchers that reach the edge's port (through SSH, or directly in tests). */
export function edgeHttpOver(
  name: string,
  dispatcherFor: (port: number, servername?: string) => DispatcherRef,
): EdgeHttp {
  const cache = new Map<string, DispatcherRef>();
  const dispatcher = (https: boolean, host: string) => {
    const key = https ? `443 ${host}` : "80";
    let d = cache.get(key);
    if (!d) {
      d = https ? dispatcherFor(443, host) : dispatcherFor(80);
      cache.set(key, d);
    }
    return d;
  };
  return {
    name,
    async get(host, path, https, timeoutMs) {
      const [{ request }, d] = await Promise.all([undici(), dispatcher(https, host)]);
      const res = await request(`${https ? "https" : "http"}://${host}${path}`, {
        dispatcher: d,
        headers: { host },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await res.body.text();
      return { status: res.statusCode, text: body.trim().split("\n")[0]?.slice(0, 200) ?? "" };
    },
  };
}

/** The app answered through the edge, or why it did not by the deadline. */
export type EdgeCheck = { ok: true; url: string; tries: number } | { ok: false; url: string; why: string };

/**
 * GETs the app's health path through the edge with its host name until it answers 200 or `deadlineMs` passes.
 * Traefik learns new instances from Consul within a few seconds, so early 404/502/503 answers are retried.
 */
export async function checkThroughEdge(
  edge: EdgeHttp,
  route: AppRoute,
  healthPath: string,
  opts: { deadlineMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<EdgeCheck> {
  const host = route.hosts[0] ?? "";
  const url = appUrl(route, healthPath);
  const end = Date.now() + opts.deadlineMs;
  let why = "no answer";
  for (let tries = 1; ; tries++) {
    try {
      const a = await edge.get(
        host,
        healthPath,
        route.https,
        Math.max(1000, Math.min(10_000, end - Date.now())),
      );
      if (a.status === 200) return { ok: true, url, tries };
      why = `HTTP ${a.status}${a.text ? ` ${JSON.stringify(a.text)}` : ""}`;
    } catch (err) {
      why = (err as Error).message;
    }
    if (Date.now() >= end || opts.signal?.aborted) return { ok: false, url, why };
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** What an edge's last answer means, for the user. */
export function explainEdgeAnswer(why: string): string {
  if (/HTTP 404/.test(why)) return "Traefik has no router for this host name (yet): check domains in np.yaml";
  if (/HTTP 503/.test(why)) return "Traefik knows the app but sees no passing instance";
  if (/HTTP 502/.test(why)) return "Traefik cannot connect to the app's instances";
  return "";
}
