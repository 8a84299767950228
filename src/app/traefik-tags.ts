import { TRAEFIK } from "./defaults.js";

/**
 * The Consul service tags of an app: the tag np finds its apps by, and the Traefik router its domains get
 * (Traefik's Consul catalog provider, exposedByDefault false, reads them). An app without domains is not
 * routed by Traefik; it stays reachable inside the cluster through Consul.
 */
export function serviceTags(name: string, domains: readonly string[], acme: boolean): string[] {
  const tags = [appTag(name)];
  if (domains.length === 0) return tags;
  const router = `traefik.http.routers.${name}`;
  tags.push(
    "traefik.enable=true",
    `${router}.rule=${domains.map((d) => `Host(\`${d}\`)`).join(" || ")}`,
    `${router}.entrypoints=${acme ? TRAEFIK.httpsEntryPoint : TRAEFIK.httpEntryPoint}`,
  );
  if (acme) tags.push(`${router}.tls=true`, `${router}.tls.certresolver=${TRAEFIK.certResolver}`);
  return tags;
}

/** The Consul tag every app np deploys carries: `np.app=<name>`. */
export function appTag(name: string): string {
  return `np.app=${name}`;
}
