#!/usr/bin/env node
// np's Traefik TEST DOUBLE: it is NOT Traefik. It stands in for /usr/local/bin/traefik (v3) on sandbox nodes, where
// Traefik cannot be downloaded: `traefik version`, `traefik healthcheck`, and `traefik --configFile=FILE` running
// the static configuration np renders (YAML) with Traefik v3.7.9's key checks and defaults, plain-HTTP entry points,
// ping, the API and a placeholder dashboard, the Consul Catalog provider against the REAL Consul HTTP API
// (blocking-query watch), the file provider, routers/services/middlewares (basicAuth with {SHA}, MD5-crypt and
// bcrypt hashes), a round-robin reverse proxy with X-Forwarded-* headers, Traefik's 404/502/503 texts, its access
// log fields, and a graceful stop. Checked against traefik/traefik v3.7.9 (d0bd2ec1) and traefik/paerser; every
// module under traefik/ names the upstream files it follows.
// Not modelled: TLS (a TLS ClientHello is closed: HTTPS routers, ACME certificates and the default certificate do
// not exist), ACME traffic (there is no network; the storage file is still prepared 0600), TCP/UDP routers,
// providers other than consulCatalog and file, Consul Connect, metrics, tracing, plugins, TOML files, CLI flags
// other than --configFile, sd_notify (use Type=simple units, or wait for /ping).
// The mirror builder rewrites the next line, which always matches /^const VERSION = ".*";$/.
const VERSION = "3.7.9";
const CODENAME = "langres"; // .github/workflows/release.yaml CODENAME at v3.7.9
const GO_VERSION = "go1.26"; // .go-version at v3.7.9 (the patch release of the real build is not known)
const BUILD_DATE = "2026-07-24T08:32:05Z"; // the v3.7.9 tag's commit time (goreleaser {{.Date}} is the build time)

import fs from "node:fs";
import { fileURLToPath } from "node:url";
import { prepareAcme } from "./traefik/acme.mjs";
import { openEntryPoints } from "./traefik/entrypoints.mjs";
import { buildHandlers } from "./traefik/handlers.mjs";
import { internalServices } from "./traefik/internal.mjs";
import { commandError, makeAccessLog, makeLogger } from "./traefik/logs.mjs";
import { runConsulCatalog, runFileProvider, throttled } from "./traefik/providers.mjs";
import { buildRuntime, internalConfiguration } from "./traefik/runtime.mjs";
import { defaultConfigFiles, loadStaticFile } from "./traefik/static.mjs";

/** cmd/version/version.go versionTemplate. */
export function versionText(version = VERSION) {
  const arch = { x64: "amd64", arm64: "arm64", arm: "arm" }[process.arch] ?? process.arch;
  return `Version:      ${version}\nCodename:     ${CODENAME}\nGo version:   ${GO_VERSION}\nBuilt:        ${BUILD_DATE}\nOS/Arch:      linux/${arch}\n`;
}

/** The value of --configFile / --configfile (with "=" or as the next argument); throws on other flags. */
export function parseFlags(argv) {
  let configFile;
  for (let i = 0; i < argv.length; i++) {
    const m = /^--?(configfile|configFile)(?:=(.*))?$/.exec(argv[i]);
    if (m) {
      configFile = m[2] ?? argv[++i];
      continue;
    }
    throw new Error(`np's Traefik double supports only --configFile, not ${argv[i]}`);
  }
  return configFile;
}

function findConfigFile(flag) {
  if (flag) return flag;
  return defaultConfigFiles().find((f) => fs.existsSync(f));
}

/** Runs Traefik with a static configuration file; resolves to a handle with stop(). */
export async function run(configFile, { version = VERSION } = {}) {
  const st = loadStaticFile(configFile);
  const log = makeLogger(st.log);
  log("warn", "Traefik can reject some encoded characters in the request path.");
  log("info", `Traefik version ${version} built on ${BUILD_DATE} (np TEST DOUBLE)`, { version });
  for (const p of st.providers.unmodelled)
    log("error", `np's Traefik double does not model the ${p} provider: not started`);
  const state = {
    static: st,
    version,
    codename: CODENAME,
    startDate: new Date().toISOString(),
    terminating: false,
    configs: { internal: internalConfiguration(st) },
    providerNames: ["ConsulCatalog", "File"].filter((n) => st.providers[n[0].toLowerCase() + n.slice(1)]),
    accessLog: st.accessLog && makeAccessLog(st.accessLog),
  };
  const internal = internalServices(state);
  let handlers;
  const rebuild = () => {
    state.runtime = buildRuntime(st, state.configs);
    handlers = buildHandlers(state, internal, handlers);
    state.handlers = handlers;
    for (const [name, r] of Object.entries(state.runtime.routers)) {
      if (r.status !== "enabled") log("error", r.err?.join("; ") ?? "router disabled", { routerName: name });
    }
  };
  rebuild();
  prepareAcme(st.certificatesResolvers, log);
  let entryPoints;
  try {
    entryPoints = await openEntryPoints(state);
  } catch (err) {
    // After setupLogger, main's "Command error" goes to the configured log.
    log("error", "Command error", { error: `command traefik error: ${err.message}` });
    throw Object.assign(err, { logged: true });
  }
  const abort = new AbortController();
  const provide = (name) =>
    throttled(st.providers.throttle, (conf) => {
      state.configs[name] = conf;
      rebuild();
      log("debug", "Configuration received", { providerName: name });
    });
  if (st.providers.consulCatalog)
    runConsulCatalog(st.providers.consulCatalog, provide("consulcatalog"), log, abort.signal);
  if (st.providers.file) runFileProvider(st.providers.file, provide("file"), log, abort.signal);
  const onUsr1 = () => state.accessLog?.rotate();
  process.on("SIGUSR1", onUsr1);
  return {
    state,
    ports: Object.fromEntries(entryPoints.map((e) => [e.name, e.port])),
    /** Server.Stop: ping turns to its terminating status, then every entry point shuts down gracefully. */
    async stop() {
      log("info", "I have to go...");
      log("info", "Stopping server gracefully");
      state.terminating = true;
      abort.abort();
      process.off("SIGUSR1", onUsr1);
      await Promise.all(entryPoints.map((e) => e.shutdown()));
      log("info", "Server stopped");
      log("info", "Shutting down");
    },
  };
}

/** `traefik healthcheck`: GET /ping on the ping entry point (cmd/healthcheck/healthcheck.go). */
async function healthcheck(configFile) {
  const st = loadStaticFile(configFile);
  if (!st.ping) throw new Error("please enable `ping` to use health check");
  const ep = st.entryPoints[st.ping.entryPoint];
  if (!ep) throw new Error("ping: missing ping entrypoint");
  const hostPort = ep.address.split("/")[0];
  const url = `http://${hostPort.startsWith(":") ? `127.0.0.1${hostPort}` : hostPort}/ping`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`received statusCode ${res.status}`);
  process.stdout.write(`OK: ${url}\n`);
}

async function main(argv) {
  if (argv[0] === "version") return void process.stdout.write(versionText()); // template + fmt.Print("\n")
  if (argv[0] === "--help" || argv[0] === "-h") {
    process.stdout.write(
      "traefik (np TEST DOUBLE) [--configFile=FILE] | version | healthcheck [--configFile=FILE]\n",
    );
    return;
  }
  const isHealthcheck = argv[0] === "healthcheck";
  let configFile;
  try {
    configFile = findConfigFile(parseFlags(isHealthcheck ? argv.slice(1) : argv));
    if (!configFile) throw new Error("np's Traefik double needs a static configuration file (--configFile)");
    if (isHealthcheck) return await healthcheck(configFile);
    const running = await run(configFile);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      running.stop().then(() => process.exit(0));
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  } catch (err) {
    if (isHealthcheck) {
      process.stdout.write(`Error calling healthcheck: ${err.message}\n`);
      process.exit(1);
    }
    if (!err.logged)
      commandError(`command traefik error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2));
}
