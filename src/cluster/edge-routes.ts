import { tunnelDispatcher } from "../api/tunnel.js";
import { undici } from "../api/undici.js";
import { routeFromTags } from "../deploy/app-url.js";
import type { HostRun, RunContext } from "./context.js";
import { pollUntil } from "./quorum.js";

/** What Traefik answers a request no router takes (its http.NotFound handler). */
const NOT_ROUTED = "404 page not found";

/**
 * The host names Traefik routes over plain HTTP, from the routers in the catalog's service tags
 * (`traefik.http.routers.<router>.rule=Host(`…`)`, as np's apps carry them). HTTPS routes are left out: the gate
 * below asks the `web` entry point only.
 */
export function httpRoutedHosts(catalog: Readonly<Record<string, readonly string[] | null>>): string[] {
  const hosts = new Set<string>();
  for (const tags of Object.values(catalog)) {
    const routers = new Set(
      (tags ?? []).flatMap((t) => /^traefik\.http\.routers\.([^.=]+)\.rule=/.exec(t)?.slice(1, 2) ?? []),
    );
    for (const router of routers) {
      const route = routeFromTags(router, tags);
      if (route && !route.https) for (const h of route.hosts) hosts.add(h);
    }
  }
  return [...hosts].sort();
}

/** Asks whether the edge routes a host name now. */
export type RouteProbe = (host: HostRun, port: number, name: string) => Promise<boolean>;

/** Whether the edge's Traefik routes `name` now: a request with that Host header is taken by some router. */
const routes: RouteProbe = async (host, port, name) => {
  const address = host.spec.privateAddress;
  const [{ request }, dispatcher] = await Promise.all([undici(), tunnelDispatcher(host.conn, address, port)]);
  try {
    const res = await request(`http://${address}:${port}/`, {
      dispatcher,
      headers: { host: name },
      headersTimeout: 3000,
      bodyTimeout: 3000,
    });
    const body = (await res.body.text()).trim();
    return !(res.statusCode === 404 && body === NOT_ROUTED);
  } catch {
    return false;
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
};

/**
 * The host names this edge routes right now, of those the catalog gives Traefik: read before an edge restarts, so
 * the restart can wait until it routes them again. Reading the catalog is best effort: without an answer there is
 * nothing to wait for (the /ping gate still stands).
 */
export async function routedBy(ctx: RunContext, host: HostRun, port: number): Promise<string[]> {
  let names: string[];
  try {
    const consul = ctx.tunnels.for("consul", host.conn, host.spec.privateAddress);
    names = httpRoutedHosts(
      (await consul.json.get<Record<string, string[] | null>>("/v1/catalog/services")).body ?? {},
    );
  } catch (err) {
    ctx.out.debug(`${host.spec.name}: could not read the catalog's routes: ${(err as Error).message}`);
    return [];
  }
  const answers = await Promise.all(names.map(async (n) => [n, await routes(host, port, n)] as const));
  return answers.filter(([, ok]) => ok).map(([n]) => n);
}

/**
 * After an edge restarted and answers its /ping: Traefik opens its entry points before its Consul catalog provider
 * has delivered the first routes, so a visitor sent there meanwhile gets `404 page not found`. Waits (up to
 * `timeoutMs`) until the edge routes again every host name it routed before; says which it does not, and goes on.
 */
export async function waitRoutedAgain(
  ctx: RunContext,
  host: HostRun,
  port: number,
  names: readonly string[],
  timeoutMs = 30_000,
  probe: RouteProbe = routes,
): Promise<void> {
  if (names.length === 0) return;
  let missing = [...names];
  const r = await pollUntil(
    async () => {
      const answers = await Promise.all(missing.map(async (n) => [n, await probe(host, port, n)] as const));
      missing = answers.filter(([, ok]) => !ok).map(([n]) => n);
      return missing.length;
    },
    (left) => left === 0,
    {
      timeoutMs,
      intervalMs: 200,
      readingsInARow: 1,
      signal: ctx.signal,
      giveUp: () => (host.conn.isLost ? "the connection was lost" : undefined),
    },
  );
  if (!r.ok)
    ctx.out.warn(
      `${host.spec.name}: traefik answers /ping but does not route ${missing.join(", ")} yet (${Math.round(timeoutMs / 1000)} s after its restart): going on`,
    );
}
