// Traefik TEST DOUBLE: the static configuration — loading (cmd/traefik + pkg/cli/loader_file.go: --configFile, else
// /etc/traefik/traefik.{toml,yaml,yml}, ...), the defaults of each section's SetDefaults and of
// cmd/configuration.go, SetEffectiveConfiguration and ValidateConfiguration (pkg/config/static/static_config.go).
// Only YAML is read (np renders YAML); TOML files are refused with a message naming the double.
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { DecodeError, decodeFile, parseBool, parseDuration, parseList, STATIC_KEYS } from "./decode.mjs";

const MAX_INT = Number.MAX_SAFE_INTEGER; // stands for math.MaxInt (router priorities)
export const DEFAULT_INTERNAL_EP = "traefik";

/** The default places Traefik looks for its static file (loadConfigFiles' cli.Finder), in order. */
export function defaultConfigFiles(env = process.env) {
  const bases = [
    "/etc/traefik/traefik",
    `${env.XDG_CONFIG_HOME ?? ""}/traefik`,
    `${env.HOME ?? ""}/.config/traefik`,
  ];
  bases.push("./traefik");
  return bases.flatMap((b) => ["toml", "yaml", "yml"].map((e) => `${b}.${e}`));
}

/** Reads and decodes a static file into the normalized configuration the double runs. */
export function loadStaticFile(file) {
  if (/\.toml$/i.test(file)) throw new DecodeError(`np's Traefik double reads YAML only, not TOML: ${file}`);
  if (!/\.(ya?ml|json)$/i.test(file)) throw new DecodeError(`unsupported file extension: ${file}`);
  const text = fs.readFileSync(file, "utf8");
  let data;
  try {
    data = parseYaml(text, { uniqueKeys: true }) ?? {};
  } catch (err) {
    throw new DecodeError(`yaml: ${err.message.split("\n")[0]}`);
  }
  return normalizeStatic(decodeFile(data, STATIC_KEYS, file));
}

/** Applies defaults, SetEffectiveConfiguration and ValidateConfiguration to a decoded static tree. */
export function normalizeStatic(raw) {
  const cfg = {
    raw,
    global: { checkNewVersion: bool(raw.global?.checkNewVersion, true), sendAnonymousUsage: false },
    entryPoints: {},
    providers: normalizeProviders(raw.providers ?? {}),
    api: raw.api && {
      basePath: raw.api.basePath ?? "/",
      insecure: bool(raw.api.insecure, false),
      dashboard: bool(raw.api.dashboard, true),
      debug: bool(raw.api.debug, false),
    },
    ping: raw.ping && {
      entryPoint: raw.ping.entryPoint ?? DEFAULT_INTERNAL_EP,
      manualRouting: bool(raw.ping.manualRouting, false),
      terminatingStatusCode: Number(raw.ping.terminatingStatusCode ?? 503),
    },
    log: {
      level: String(raw.log?.level || "ERROR"),
      format: raw.log?.format ?? "common",
      filePath: raw.log?.filePath,
    },
    accessLog: raw.accessLog && normalizeAccessLog(raw.accessLog),
    certificatesResolvers: {},
  };
  for (const [name, ep] of Object.entries(raw.entryPoints ?? {}))
    cfg.entryPoints[name] = normalizeEntryPoint(ep);
  // SetEffectiveConfiguration: an entry point "http" on :80 when none is defined, and the internal "traefik"
  // entry point on :8080 when api.insecure or ping (on "traefik") need it.
  if (Object.keys(cfg.entryPoints).length === 0)
    cfg.entryPoints.http = normalizeEntryPoint({ address: ":80" });
  const needsInternal =
    cfg.api?.insecure || (cfg.ping && !cfg.ping.manualRouting && cfg.ping.entryPoint === DEFAULT_INTERNAL_EP);
  if (needsInternal && !cfg.entryPoints[DEFAULT_INTERNAL_EP]) {
    cfg.entryPoints[DEFAULT_INTERNAL_EP] = normalizeEntryPoint({ address: ":8080" });
  }
  for (const [name, r] of Object.entries(raw.certificatesResolvers ?? {})) {
    cfg.certificatesResolvers[name] = normalizeResolver(name, r);
  }
  if (cfg.api && !/^\/[a-zA-Z0-9/_.:~-]*$/.test(cfg.api.basePath)) {
    throw new DecodeError("API basePath must be a valid absolute URL path");
  }
  return cfg;
}

function normalizeEntryPoint(ep) {
  const lc = ep.transport?.lifeCycle ?? {};
  const redirect = ep.http?.redirections?.entryPoint;
  return {
    address: String(ep.address ?? ""),
    asDefault: bool(ep.asDefault, false),
    transport: {
      lifeCycle: {
        requestAcceptGraceTimeout: dur(lc.requestAcceptGraceTimeout, 0, "requestAcceptGraceTimeout"),
        graceTimeOut: dur(lc.graceTimeOut, 10_000, "graceTimeOut"),
      },
      respondingTimeouts: {
        readTimeout: dur(ep.transport?.respondingTimeouts?.readTimeout, 60_000, "readTimeout"),
        idleTimeout: dur(ep.transport?.respondingTimeouts?.idleTimeout, 180_000, "idleTimeout"),
      },
    },
    forwardedHeaders: {
      insecure: bool(ep.forwardedHeaders?.insecure, false),
      trustedIPs: parseList(ep.forwardedHeaders?.trustedIPs),
    },
    http: {
      redirection: redirect && {
        to: String(redirect.to ?? ""),
        scheme: redirect.scheme ?? "https",
        permanent: bool(redirect.permanent, true),
        priority: redirect.priority === undefined ? MAX_INT - 1 : Number(redirect.priority),
      },
      middlewares: parseList(ep.http?.middlewares),
      tls: ep.http?.tls,
    },
  };
}

function normalizeProviders(p) {
  const cc = p.consulCatalog;
  return {
    throttle: dur(p.providersThrottleDuration, 2000, "providersThrottleDuration"),
    consulCatalog: cc && {
      endpoint: {
        address: cc.endpoint?.address ?? "",
        scheme: cc.endpoint?.scheme ?? "",
        datacenter: cc.endpoint?.datacenter ?? "",
        token: cc.endpoint?.token ?? "",
        endpointWaitTime: dur(cc.endpoint?.endpointWaitTime, 0, "endpointWaitTime"),
        httpAuth: cc.endpoint?.httpAuth,
        tls: cc.endpoint?.tls,
      },
      prefix: cc.prefix ?? "traefik",
      refreshInterval: dur(cc.refreshInterval, 15_000, "refreshInterval"),
      requireConsistent: bool(cc.requireConsistent, false),
      stale: bool(cc.stale, false),
      cache: bool(cc.cache, false),
      exposedByDefault: bool(cc.exposedByDefault, true),
      defaultRule: cc.defaultRule ?? "Host(`{{ normalize .Name }}`)",
      connectAware: bool(cc.connectAware, false),
      connectByDefault: bool(cc.connectByDefault, false),
      serviceName: cc.serviceName ?? "traefik",
      watch: bool(cc.watch, false),
      strictChecks: cc.strictChecks === undefined ? ["passing", "warning"] : parseList(cc.strictChecks),
      constraints: cc.constraints ?? "",
      namespaces: parseList(cc.namespaces),
    },
    file: p.file && {
      directory: p.file.directory ?? "",
      filename: p.file.filename ?? "",
      watch: bool(p.file.watch, true),
    },
    // Providers the double does not model are accepted (the key is valid) and reported, never run.
    unmodelled: Object.keys(p).filter(
      (k) => !["consulCatalog", "file", "providersThrottleDuration", "precedence"].includes(k),
    ),
  };
}

function normalizeAccessLog(a) {
  return {
    filePath: a.filePath ?? "",
    format: a.format ?? "common",
    bufferingSize: Number(a.bufferingSize ?? 0),
    addInternals: bool(a.addInternals, false),
    filters: {
      statusCodes: parseList(a.filters?.statusCodes),
      retryAttempts: bool(a.filters?.retryAttempts, false),
      minDuration: dur(a.filters?.minDuration, 0, "minDuration"),
    },
    fields: {
      defaultMode: a.fields?.defaultMode ?? "keep",
      names: a.fields?.names ?? {},
      headers: {
        defaultMode: a.fields?.headers?.defaultMode ?? "drop",
        names: a.fields?.headers?.names ?? {},
      },
    },
  };
}

function normalizeResolver(name, r) {
  if (r.acme && r.tailscale) {
    throw new DecodeError(
      `unable to initialize certificates resolver "${name}", as ACME and Tailscale providers are mutually exclusive`,
    );
  }
  if (!r.acme) return { tailscale: r.tailscale !== undefined };
  const a = r.acme;
  // acme.Configuration SetDefaults: storage "acme.json"; an explicit empty storage fails validation.
  const storage = a.storage ?? "acme.json";
  if (storage === "") {
    throw new DecodeError(
      `unable to initialize certificates resolver "${name}" with no storage location for the certificates`,
    );
  }
  return {
    acme: {
      email: a.email ?? "",
      storage,
      caServer: a.caServer ?? "https://acme-v02.api.letsencrypt.org/directory",
      keyType: a.keyType ?? "RSA4096",
      certificatesDuration: Number(a.certificatesDuration ?? 2160),
      httpChallenge: a.httpChallenge && { entryPoint: a.httpChallenge.entryPoint ?? "" },
      tlsChallenge: a.tlsChallenge !== undefined,
      dnsChallenge: a.dnsChallenge,
    },
  };
}

const bool = (v, def) => (v === undefined ? def : parseBool(v, String(v)));
const dur = (v, def, name) => (v === undefined ? def : parseDuration(v, name));
