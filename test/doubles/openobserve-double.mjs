#!/usr/bin/env node
// np's OpenObserve TEST DOUBLE: it is NOT OpenObserve. It stands in for /usr/local/bin/openobserve on sandbox
// nodes, where OpenObserve cannot be downloaded: `openobserve --version|-V`, and a single-node server
// (ZO_LOCAL_MODE=true, disk storage) configured by the environment like v0.14.7, answering what np uses with
// the real status codes and bodies: GET|HEAD /healthz, POST /api/{org}/{stream}/_json|_multi, POST /api/{org}/_search
// (a small SQL subset, openobserve/search.mjs), GET /api/{org}/streams, GET|POST /api/{org}/users,
// GET|PUT /api/{org}/passcode, POST /api/{org}/service_accounts, GET /api/{org}/service_accounts/{email}.
// Checked against openobserve/openobserve v0.14.7 (src/main.rs, src/job/mod.rs, src/config/src/config.rs,
// src/handler/http/router/mod.rs, src/handler/http/auth/validator.rs, src/service/users.rs, src/service/logs/);
// each module names the files it follows. Double-only: GET /np-double/v1/records?org=&stream= (exact counts for
// tests; OpenObserve has no such route). Everything is kept under ZO_DATA_DIR/np-double/ (openobserve/store.mjs).
// Not modelled: gRPC (port 5081 accepts and closes connections), the UI, OTLP/ES/Loki/HEC ingestion, metrics and
// traces, pipelines, alerts, dashboards, RBAC (enterprise), telemetry (never sent: there is no network).
// The mirror builder rewrites the next line, which always matches /^const VERSION = ".*";$/.
const VERSION = "0.14.7";

import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { ConfigPanic, readConfig } from "./openobserve/config.mjs";
import { makeHandler } from "./openobserve/routes.mjs";
import { Store } from "./openobserve/store.mjs";
import { DEFAULT_ORG, newUser, rootUser, rootUserProblem } from "./openobserve/users.mjs";

const log = (level, msg) =>
  process.stdout.write(
    `[${new Date().toISOString().replace(/\.\d+Z$/, "Z")} ${level.padEnd(5)} openobserve] ${msg}\n`,
  );

/** The `--version` text: clap prints "<name> <version>", VERSION being the git tag (src/config/build.rs). */
export function versionText(version = VERSION) {
  return `openobserve v${version.replace(/^v/, "")}\n`;
}

/** Rust's panic report on a thread other than main, as the job runtime thread of src/main.rs has it. */
function panicText(where, message) {
  return `thread '<unnamed>' panicked at ${where}:\n${message}\nnote: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace\n`;
}

/** Starts the server; resolves to { server, grpc, close() } once listening. Throws on a startup failure. */
export async function startServer(env = process.env, version = VERSION) {
  const cfg = readConfig(env);
  if (!cfg.isLocalStorage) {
    throw new Error("np's OpenObserve double models only ZO_LOCAL_MODE=true with ZO_LOCAL_MODE_STORAGE=disk");
  }
  fs.mkdirSync(cfg.dataDir, { recursive: true });
  const store = new Store(cfg.dataDir);
  if (!rootUser(store)) {
    const problem = rootUserProblem(cfg, version);
    if (problem) throw new RootUserPanic(problem);
    const root = { email: cfg.rootEmail, firstName: "root", password: cfg.rootPassword, role: "root" };
    store.addUser(newUser({ ...root, token: cfg.rootToken, org: DEFAULT_ORG }));
  }
  const host = cfg.httpAddr || (cfg.ipv6 ? "::" : "0.0.0.0");
  const server = http.createServer(makeHandler(store, cfg));
  await listen(server, cfg.httpPort, host);
  // gRPC is not modelled: the port is bound (so conflicts show) and connections are closed at once.
  const grpc = net.createServer((s) => s.destroy());
  await listen(grpc, cfg.grpcPort, cfg.grpcAddr || host);
  log("INFO", `Starting OpenObserve v${version} (np TEST DOUBLE)`);
  log("INFO", `starting HTTP server at: ${host}:${server.address().port}, thread_id: 0`);
  if (cfg.telemetry) log("INFO", "telemetry is on, but the double never sends any (there is no network)");
  const close = () =>
    new Promise((resolve) => {
      grpc.close();
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  return { server, grpc, store, cfg, close };
}

class RootUserPanic extends Error {
  constructor(problem) {
    super(problem.message);
    this.problem = problem;
  }
}

function listen(server, port, host) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

const USAGE = "Usage: openobserve [COMMAND]";

async function main(argv) {
  const [arg] = argv;
  if (arg === "--version" || arg === "-V") return void process.stdout.write(versionText());
  if (arg === "--help" || arg === "-h" || arg === "help") {
    process.stdout.write(`OpenObserve is an observability platform (np TEST DOUBLE)\n\n${USAGE}\n`);
    return;
  }
  if (arg?.startsWith("-")) {
    // clap: an unknown flag is an error with exit code 2 (-v is not --version: clap's short flag is -V).
    process.stderr.write(
      `error: unexpected argument '${arg}' found\n\n${USAGE}\n\nFor more information, try '--help'.\n`,
    );
    process.exit(2);
  }
  if (arg !== undefined) {
    process.stderr.write(`np's OpenObserve double does not model the '${arg}' subcommand\n`);
    process.exit(1);
  }
  let running;
  try {
    running = await startServer();
  } catch (err) {
    if (err instanceof ConfigPanic) {
      process.stderr.write(
        panicText("src/config/src/config.rs:1846:40", err.message).replace("<unnamed>", "main"),
      );
      process.exit(101);
    }
    if (err instanceof RootUserPanic) {
      // The panic is on the job runtime thread; main then returns Err and anyhow prints it (exit 1).
      process.stderr.write(panicText(err.problem.line, err.problem.message));
      process.stderr.write("Error: backend job init failed: channel closed\n");
      process.exit(1);
    }
    if (err?.code === "EADDRINUSE") {
      process.stderr.write("Error: Address already in use (os error 98)\n");
      process.exit(1);
    }
    process.stderr.write(`Error: ${err.message}\n`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (sig) => {
    if (stopping) return;
    stopping = true;
    log("INFO", `Received ${sig}, shutting down`);
    running.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2));
}
