// Traefik TEST DOUBLE: the runtime configuration built from every provider's configuration
// (pkg/server/aggregator.go mergeConfiguration, pkg/server/router/router.go, pkg/config/runtime), and the
// internal provider's routers (pkg/provider/traefik/internal.go: ping, api, dashboard, entry point redirections,
// ACME HTTP challenge). Names are qualified "<name>@<provider>"; a router without entry points gets the default
// ones (every entry point but "traefik", or those with asDefault: true); routers whose rule, service, middleware
// or entry point is wrong are disabled with Traefik's error texts (visible in the API).
import { parseList } from "./decode.mjs";
import { compileRule, RuleError } from "./rules.mjs";
import { DEFAULT_INTERNAL_EP } from "./static.mjs";

const MAX_INT = Number.MAX_SAFE_INTEGER;
export const INTERNAL_SERVICES = ["api", "dashboard", "ping", "noop", "acme-http", "rest", "prometheus"];

/** The internal provider's configuration for a static configuration. */
export function internalConfiguration(st) {
  const routers = {};
  const middlewares = {};
  const services = { noop: {} };
  if (st.api) {
    services.api = {};
    if (st.api.dashboard) services.dashboard = {};
    if (st.api.insecure) {
      routers.api = {
        entryPoints: [DEFAULT_INTERNAL_EP],
        service: "api@internal",
        priority: MAX_INT - 1,
        rule: "PathPrefix(`/api`)",
      };
      if (st.api.dashboard) {
        routers.dashboard = {
          entryPoints: [DEFAULT_INTERNAL_EP],
          service: "dashboard@internal",
          priority: MAX_INT - 2,
          rule: "PathPrefix(`/`)",
          middlewares: ["dashboard_redirect@internal", "dashboard_stripprefix@internal"],
        };
        middlewares.dashboard_redirect = {
          redirectRegex: {
            regex: "^(http:\\/\\/(\\[[\\w:.]+\\]|[\\w\\._-]+)(:\\d+)?)\\/$",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a Traefik replacement, not a JS template
            replacement: "${1}/dashboard/",
            permanent: true,
          },
        };
        middlewares.dashboard_stripprefix = { stripPrefix: { prefixes: ["/dashboard/", "/dashboard"] } };
      }
    }
  }
  if (st.ping) {
    services.ping = {};
    if (!st.ping.manualRouting) {
      routers.ping = {
        entryPoints: [st.ping.entryPoint],
        service: "ping@internal",
        priority: MAX_INT,
        rule: "PathPrefix(`/ping`)",
      };
    }
  }
  for (const [name, ep] of Object.entries(st.entryPoints)) {
    const r = ep.http.redirection;
    if (!r) continue;
    const port = /^:(\d+)$/.test(r.to) ? r.to.slice(1) : st.entryPoints[r.to]?.address.split(":").pop();
    if (!port) continue; // "'to' entry point field references a non-existing entry point"
    const rtName = normalizeName(`${name}-to-${r.to}`);
    routers[rtName] = {
      rule: "HostRegexp(`^.+$`)",
      entryPoints: [name],
      middlewares: [`redirect-${rtName}`],
      service: "noop@internal",
      priority: r.priority,
    };
    middlewares[`redirect-${rtName}`] = {
      redirectScheme: { scheme: r.scheme, port, permanent: r.permanent },
    };
  }
  const acmeEps = [
    ...new Set(
      Object.values(st.certificatesResolvers)
        .map((r) => r.acme?.httpChallenge?.entryPoint)
        .filter(Boolean),
    ),
  ];
  if (acmeEps.length) {
    services["acme-http"] = {};
    routers["acme-http"] = {
      rule: "PathPrefix(`/.well-known/acme-challenge/`)",
      entryPoints: acmeEps,
      service: "acme-http@internal",
      priority: MAX_INT,
    };
  }
  return { http: { routers, services, middlewares } };
}

const normalizeName = (s) =>
  s
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join("-");

/** getDefaultsEntrypoints. */
export function defaultEntryPoints(st) {
  const eps = Object.entries(st.entryPoints);
  const flagged = eps.some(([, ep]) => ep.asDefault);
  return eps
    .filter(
      ([name, ep]) =>
        (!flagged || ep.asDefault) && name !== DEFAULT_INTERNAL_EP && !ep.address.endsWith("/udp"),
    )
    .map(([name]) => name)
    .sort();
}

const qualify = (name, provider) => (name.includes("@") ? name : `${name}@${provider}`);

/**
 * Builds the runtime: { routers, services, middlewares } keyed by qualified name (the API's rawdata shapes, with
 * status "enabled" | "disabled" and error lists), and `byEntryPoint`: for each entry point, the routes to try in
 * order (priority, then provider precedence).
 */
export function buildRuntime(st, configs) {
  const routers = {};
  const services = {};
  const middlewares = {};
  const defaults = defaultEntryPoints(st);
  for (const [provider, conf] of Object.entries(configs)) {
    const http = conf?.http ?? {};
    for (const [name, s] of Object.entries(http.services ?? {}))
      services[`${name}@${provider}`] = { ...s, provider, status: "enabled", usedBy: [] };
    for (const [name, m] of Object.entries(http.middlewares ?? {})) {
      const mw = structuredClone(m);
      if (mw.basicAuth?.users !== undefined) mw.basicAuth.users = parseList(mw.basicAuth.users);
      middlewares[`${name}@${provider}`] = { ...mw, provider, status: "enabled", usedBy: [] };
    }
    for (const [name, r] of Object.entries(http.routers ?? {})) {
      // Tags give lists as "a,b" strings (paerser splits them by the field's slice type).
      const eps = parseList(r.entryPoints);
      const entryPoints = eps.length ? eps : [...defaults];
      routers[`${name}@${provider}`] = {
        ...r,
        entryPoints,
        service: r.service === undefined ? undefined : qualify(r.service, provider),
        middlewares: parseList(r.middlewares).map((m) => qualify(m, provider)),
        ...(r.priority !== undefined && { priority: Number(r.priority) }),
        provider,
        status: "enabled",
        using: [],
      };
    }
  }
  const byEntryPoint = Object.fromEntries(Object.keys(st.entryPoints).map((ep) => [ep, []]));
  for (const [name, r] of Object.entries(routers)) {
    const errors = [];
    try {
      r.match = compileRule(r.rule ?? "");
    } catch (err) {
      if (!(err instanceof RuleError)) throw err;
      errors.push(err.message);
    }
    if (!r.service) errors.push("the service is missing on the router");
    else if (!services[r.service]) errors.push(`the service "${r.service}" does not exist`);
    for (const m of r.middlewares) {
      if (!middlewares[m]) errors.push(`middleware "${m}" does not exist`);
    }
    for (const ep of r.entryPoints) {
      if (!byEntryPoint[ep]) errors.push(`entryPoint "${ep}" doesn't exist`);
    }
    if (errors.length) {
      r.status = "disabled";
      r.err = errors;
      continue;
    }
    services[r.service].usedBy.push(name);
    for (const m of r.middlewares) middlewares[m].usedBy.push(name);
    r.using = r.entryPoints.filter((ep) => byEntryPoint[ep]);
    const priority = r.priority ? Number(r.priority) : (r.rule ?? "").length;
    for (const ep of r.using)
      byEntryPoint[ep].push({ name, router: r, priority, precedence: precedence(r.provider) });
  }
  for (const list of Object.values(byEntryPoint)) {
    list.sort((a, b) => b.priority - a.priority || b.precedence - a.precedence);
  }
  return { routers, services, middlewares, byEntryPoint };
}

// Providers.Precedence defaults to the providers' names; reversed, so the first one wins a tie.
const PRECEDENCE = ["internal", "file", "consulcatalog"];
const precedence = (p) => PRECEDENCE.length - PRECEDENCE.indexOf(p);
