import { TRAEFIK } from "../app/defaults.js";

/** Where an app is served on the edge nodes: its host names, and whether over HTTPS (Traefik's ACME resolver). */
export interface AppRoute {
  hosts: string[];
  https: boolean;
}

/**
 * The app's route, read back from the Traefik tags np puts on its Consul service (`traefik.http.routers.<name>.rule`
 * with `Host(`a`) || Host(`b`)`, entry point `websecure` for HTTPS); null when Traefik does not route it.
 */
export function routeFromTags(name: string, tags: readonly string[] | null | undefined): AppRoute | null {
  const list = tags ?? [];
  if (!list.includes("traefik.enable=true")) return null;
  const router = `traefik.http.routers.${name}.`;
  const rule = list.find((t) => t.startsWith(`${router}rule=`))?.slice(`${router}rule=`.length) ?? "";
  const hosts = [...rule.matchAll(/Host\(`([^`]+)`\)/g)].map((m) => m[1] ?? "").filter(Boolean);
  if (hosts.length === 0) return null;
  const entry = list.find((t) => t.startsWith(`${router}entrypoints=`)) ?? "";
  return { hosts, https: entry.endsWith(`=${TRAEFIK.httpsEntryPoint}`) };
}

/** The URL a visitor opens: `https://web.example.com/` (the first host name; the path is the app's root). */
export function appUrl(route: AppRoute, path = "/"): string {
  const p = path.startsWith("/") ? path : `/${path}`;
  return `${route.https ? "https" : "http"}://${route.hosts[0]}${p}`;
}
