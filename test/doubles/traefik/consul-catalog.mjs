// Traefik TEST DOUBLE: the Consul Catalog provider (pkg/provider/consulcatalog/consul_catalog.go, config.go,
// label.go, convert_types.go) against a REAL Consul agent, with the same HTTP calls the consul/api client makes:
//   GET /v1/catalog/services                       service names and their tags
//   GET /v1/health/service/<name>[?tag=<prefix>.enable=true]   instances with their checks (all, not passing-only)
// and, with `watch: true`, the watch plans "services" and "checks": blocking queries on /v1/catalog/services and
// /v1/health/state/any (?index=<X-Consul-Index>[&wait=<endpointWaitTime>]); without watch, a reload every
// refreshInterval. Query options: ?dc=, ?stale, ?consistent, ?cached; X-Consul-Token; endpoint.httpAuth as basic
// auth. An instance is kept when its aggregated check status is in strictChecks. Connect, TCP/UDP routers and
// namespaces are not modelled (such items are skipped with an error log).

import http from "node:http";
import https from "node:https";
import { DecodeError, DYNAMIC_KEYS, decodeLabels, labelsToTree, parseBool } from "./decode.mjs";
import { mergeConfigurations } from "./merge.mjs";
import { compileRule } from "./rules.mjs";

export const PROVIDER_NAME = "consulcatalog";

/** provider.Normalize: runs of characters that are not letters or digits become "-", trimmed. */
export function normalize(name) {
  return name
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .join("-");
}

/** tagsToNeutralLabels: "<prefix>.x=y" tags as "traefik.x" labels. */
export function tagsToLabels(tags, prefix) {
  const labels = {};
  for (const tag of tags ?? []) {
    if (!tag.startsWith(prefix)) continue;
    const eq = tag.indexOf("=");
    if (eq === -1) continue;
    labels[`traefik.${tag.slice(0, eq).replace(`${prefix}.`, "")}`] = tag.slice(eq + 1);
  }
  return labels;
}

/** consul/api HealthChecks.AggregatedStatus. */
export function aggregatedStatus(checks) {
  let passing = false;
  let warning = false;
  let critical = false;
  let maintenance = false;
  for (const c of checks ?? []) {
    if (c.CheckID === "_node_maintenance" || c.CheckID.startsWith("_service_maintenance:")) {
      maintenance = true;
      continue;
    }
    if (c.Status === "passing") passing = true;
    else if (c.Status === "warning") warning = true;
    else if (c.Status === "critical") critical = true;
    else return "";
  }
  if (maintenance) return "maintenance";
  if (critical) return "critical";
  if (warning) return "warning";
  return passing ? "passing" : "passing";
}

/**
 * A small consul/api client: base URL, query options and headers as api.Config builds them. Requests use
 * node:http without timeouts, because a blocking query may legitimately last the agent's wait (5 min + jitter).
 */
export function consulClient(endpoint, opts, env = process.env) {
  let address = endpoint.address || env.CONSUL_HTTP_ADDR || "127.0.0.1:8500";
  let scheme = endpoint.scheme || "http";
  const m = /^(https?):\/\/(.*)$/.exec(address);
  if (m) [, scheme, address] = m;
  const token = endpoint.token || env.CONSUL_HTTP_TOKEN || "";
  const headers = {};
  if (token) headers["X-Consul-Token"] = token;
  if (endpoint.httpAuth) {
    const { username = "", password = "" } = endpoint.httpAuth;
    headers.Authorization = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
  }
  const base = `${scheme}://${address}`;
  const client = scheme === "https" ? https : http;
  return (path, params = {}, signal) => {
    const url = new URL(path, base);
    if (endpoint.datacenter) url.searchParams.set("dc", endpoint.datacenter);
    if (opts.stale) url.searchParams.set("stale", "");
    if (opts.requireConsistent) url.searchParams.set("consistent", "");
    if (opts.cache) url.searchParams.set("cached", "");
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return new Promise((resolve, reject) => {
      const req = client.get(url, { headers, signal, agent: false }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          if (res.statusCode !== 200)
            return reject(new Error(`Unexpected response code: ${res.statusCode} (${text.trim()})`));
          try {
            resolve({ body: JSON.parse(text), index: res.headers["x-consul-index"] });
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on("error", reject);
    });
  };
}

/** Builds the provider's dynamic configuration from catalog data (buildConfiguration + provider.Merge). */
export function buildConfiguration(cfg, items, log) {
  const configurations = [];
  for (const item of items) {
    const svcName = normalize(`${item.node}-${item.name}-${item.id}`);
    const conf = itemConfiguration(cfg, item, log);
    if (conf) configurations.push([svcName, conf]);
  }
  configurations.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return mergeConfigurations(configurations, "merge", log);
}

function itemConfiguration(cfg, item, log) {
  if (!item.extra.enable) return null;
  if (!cfg.strictChecks.some((s) => s.toLowerCase() === "any" || s.toLowerCase() === item.status))
    return null;
  let conf;
  try {
    const tree = labelsToTree(item.labels, ["traefik.http"]);
    conf = decodeLabels(tree, DYNAMIC_KEYS);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    log("error", `${err.message}`, { serviceName: item.name });
    return null;
  }
  const tcpOrUdp = Object.keys(item.labels).some((k) => /^traefik\.(tcp|udp)\./i.test(k));
  if (tcpOrUdp)
    log("error", "np's Traefik double does not model TCP/UDP routers; labels ignored", {
      serviceName: item.name,
    });
  const http = conf.http ?? {};
  const name = normalize(item.name);
  if (!http.services || Object.keys(http.services).length === 0)
    http.services = { [name]: { loadBalancer: {} } };
  for (const [sName, svc] of Object.entries(http.services)) {
    const err = addServer(item, svc.loadBalancer);
    if (err) {
      log("error", `${sName}: ${err}`, { serviceName: item.name });
      return null;
    }
  }
  buildRouters(http, name, cfg.defaultRule, item, log);
  return { http };
}

/** addServer: servers[0] from the instance address and port (a `server.port` tag overrides the port). */
function addServer(item, lb) {
  if (!lb) return "load-balancer is not defined";
  lb.servers ??= [{}];
  if (!item.address) return "address is missing";
  const s = lb.servers[0];
  // Server.Port and Server.Scheme have json:"-": tags set them under their Go names.
  if (s.url) return s.Scheme || s.Port ? "defining scheme or port is not allowed when URL is defined" : null;
  const port = s.Port ?? item.port;
  if (!port) return "port is missing";
  const scheme = s.Scheme ?? "http";
  delete s.Port;
  delete s.Scheme;
  const host = item.address.includes(":") ? `[${item.address}]` : item.address;
  s.url = `${scheme}://${host}:${port}`;
  return null;
}

/** provider.BuildRouterConfiguration: a default router when none is labelled, the default rule, the service link. */
function buildRouters(http, defaultName, defaultRule, item, log) {
  const services = Object.keys(http.services);
  if (!http.routers || Object.keys(http.routers).length === 0) {
    if (services.length > 1) log("info", "Could not create a router for the container: too many services");
    else http.routers = { [defaultName]: {} };
  }
  for (const [rName, r] of Object.entries(http.routers ?? {})) {
    if (!r.rule) {
      const rule = renderDefaultRule(defaultRule, item);
      if (rule === null) {
        log("error", "Error while parsing default rule", { routerName: rName });
        delete http.routers[rName];
        continue;
      }
      r.rule = rule;
    }
    if (!r.service) {
      if (services.length > 1) {
        log(
          "error",
          `Router ${rName} cannot be linked automatically with multiple Services: ${JSON.stringify(services)}`,
        );
        delete http.routers[rName];
        continue;
      }
      r.service = services[0];
    }
  }
}

/** The default-rule template: `normalize .Name`, `.Name` and `index .Labels "k"` (sprig functions are not modelled). */
export function renderDefaultRule(template, item) {
  let failed = false;
  const out = template.replace(/\{\{-?\s*(.*?)\s*-?\}\}/g, (_, expr) => {
    if (expr === "normalize .Name") return normalize(item.name);
    if (expr === ".Name") return item.name;
    const m = /^index \.Labels "([^"]+)"$/.exec(expr);
    if (m) return item.labels[m[1]] ?? "";
    failed = true;
    return "";
  });
  return failed || out === "" ? null : out;
}

/** getExtraConf: traefik.enable (default exposedByDefault) and traefik.consulcatalog.connect. */
function extraConf(cfg, labels) {
  const enable = labels["traefik.enable"];
  const connect = labels["traefik.consulcatalog.connect"];
  return {
    enable: enable === undefined ? cfg.exposedByDefault : parseBool(enable, "traefik.enable"),
    connect:
      connect === undefined ? cfg.connectByDefault : parseBool(connect, "traefik.consulcatalog.connect"),
  };
}

/** constraints.MatchTags for the expressions np may use: Tag(`x`), !, &&, ||, parentheses. */
export function matchConstraints(tags, expr) {
  if (!expr) return true;
  const js = expr.replace(/Tag\(\s*`([^`]*)`\s*\)/g, (_, t) => JSON.stringify(tags.includes(t)));
  if (!/^(?:true|false|&&|\|\||!|\(|\)|\s)*$/.test(js))
    throw new Error(`unsupported constraint expression: ${expr}`);
  return Function(`"use strict"; return (${js});`)();
}

/** getConsulServicesData: the items (service instances) the catalog holds now. */
export async function fetchItems(cfg, query, log, signal) {
  const { body: services } = await query("/v1/catalog/services", {}, signal);
  const items = [];
  for (const [name, tags] of Object.entries(services)) {
    let extra;
    try {
      extra = extraConf(cfg, tagsToLabels(tags, cfg.prefix));
    } catch (err) {
      log("error", `Skip service: ${err.message}`, { serviceName: name });
      continue;
    }
    if (!extra.enable) continue;
    let matches;
    try {
      matches = matchConstraints(tags, cfg.constraints);
    } catch (err) {
      log("error", `Error matching constraint expressions: ${err.message}`, { serviceName: name });
      continue;
    }
    if (!matches) continue;
    if (extra.connect) {
      if (!cfg.connectAware) continue;
      log("error", "np's Traefik double does not model Consul Connect; service skipped", {
        serviceName: name,
      });
      continue;
    }
    const params = cfg.exposedByDefault ? {} : { tag: `${cfg.prefix}.enable=true` };
    const { body: entries } = await query(`/v1/health/service/${encodeURIComponent(name)}`, params, signal);
    for (const e of entries) {
      if (!e.Service || !e.Node) continue;
      const labels = tagsToLabels(e.Service.Tags, cfg.prefix);
      let itemExtra;
      try {
        itemExtra = extraConf(cfg, labels);
      } catch (err) {
        log("error", `Skip item ${name}: ${err.message}`);
        continue;
      }
      if (!matchConstraints(e.Service.Tags ?? [], cfg.constraints)) continue;
      items.push({
        id: e.Service.ID,
        node: e.Node.Node,
        name,
        address: e.Service.Address || e.Node.Address,
        port: String(e.Service.Port),
        labels,
        tags: e.Service.Tags ?? [],
        status: aggregatedStatus(e.Checks),
        extra: itemExtra,
      });
    }
  }
  return items;
}

/** Validates the default rule once, as Provider.Init does (a template error stops the provider). */
export function checkDefaultRule(cfg) {
  const sample = renderDefaultRule(cfg.defaultRule, { name: "x", labels: {} });
  if (sample === null) throw new Error(`error while parsing default rule: ${cfg.defaultRule}`);
  compileRule(sample);
}
