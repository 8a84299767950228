#!/usr/bin/env node
// np's Nomad TEST DOUBLE: it is NOT HashiCorp Nomad. It stands in for /usr/local/bin/nomad on sandbox nodes,
// where Nomad cannot be downloaded: `nomad version`, `nomad agent -config DIR|FILE` with Nomad's config checks,
// and an agent whose HTTP API (:4646) has the shapes, status codes, headers and plain-text errors of Nomad
// 1.10 for what np uses (status, raft configuration, autopilot health, members, self, health, nodes, jobs),
// with the `tls` block (nomad/tls.mjs: HTTPS API, mutual TLS between agents) and ACLs (nomad/acl-*.mjs).
// Contracts: test/contract/nomad-double*.test.ts. Node >= 22 built-ins only, this file plus its nomad/ modules
// (the mirror builder bundles them into one); every response carries `X-Np-Double: nomad`. The mirror builder
// rewrites the next line, which always matches /^const VERSION = ".*";$/.
const VERSION = "1.10.5";
const REVISION = "a3b86c697f38ab032e1acaae8503ed10815bc4a2"; // upstream v1.10.5 commit, not rewritten
const BUILD_DATE = "2025-09-09T00:00:00Z"; // placeholder

//
// Cluster behaviour, through the double's own HTTP/JSON protocol (not Nomad's msgpack RPC or Serf):
// - serf port (4648): servers POST `/np-double/v1/gossip` to every retry_join address and known member each
//   tick (push-pull): members with heartbeat counters, raft peer set, term and leader, and the node table.
//   A member not heard from for NOMAD_DOUBLE_FAILURE_MS is "failed"; a clean leave (leave_on_interrupt /
//   leave_on_terminate) makes it "left" and the leader drops it from the peer set.
// - bootstrap: once bootstrap_expect servers are alive, the peer set is those servers (kept in
//   data_dir/server/raft/np-double-raft.json with term and node table; the server ID is data_dir/server/node-id).
//   A leader needs a quorum of the peer set alive; it stays while alive, else the lowest alive address takes
//   over with term+1. Consistent reads wait NOMAD_DOUBLE_RPC_HOLD_MS for a leader ("No cluster leader" after)
//   and are answered by the leader; ?stale reads locally.
// - rpc port (4647): clients POST `/np-double/v1/rpc` Node.UpdateStatus heartbeats (node ID from
//   data_dir/client/client-id); the leader registers nodes and marks them down after NOMAD_DOUBLE_NODE_TTL_MS.
//   Client agents forward server-side API calls there ("rpc error: …" prefix on RPC errors, like Nomad).
// Env overrides (ms): NOMAD_DOUBLE_GOSSIP_MS (1000), NOMAD_DOUBLE_FAILURE_MS (5000),
// NOMAD_DOUBLE_NODE_TTL_MS (10000), NOMAD_DOUBLE_RPC_HOLD_MS (5000).

import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { aclRoute } from "./nomad/acl-api.mjs";
import {
  authorizeAgentRead,
  authorizeServer,
  httpError,
  logsAllowed,
  parseToken,
  resolveToken,
  whoAmIForClient,
} from "./nomad/acl-auth.mjs";
import { initAclServer } from "./nomad/acl-store.mjs";
import { fingerprintDrivers, initJobServer, jobMethods } from "./nomad/agent-jobs.mjs";
import { isJobsPath, jobsRoute } from "./nomad/api.mjs";
import { deepMerge, isObj, parseHcl } from "./nomad/hcl.mjs";
import { GossipKeyring, KEYRING_FILE } from "./nomad/keyring.mjs";
import { answerKeyQuery, KEY_QUERY_PATH, keyringRoute } from "./nomad/keyring-api.mjs";
import { streamLogs } from "./nomad/logs.mjs";
import {
  goDialError,
  httpApiServer,
  internalServer,
  reloadAgentTls,
  setupAgentTls,
  tlsSettings,
} from "./nomad/tls.mjs";

export { deepMerge, parseHcl };

// Timings (ms). Defaults are sensible for real use; tests shorten them through the environment.
const envMs = (name, def) => (Number(process.env[name]) > 0 ? Number(process.env[name]) : def);
export const TIMING = {
  gossip: envMs("NOMAD_DOUBLE_GOSSIP_MS", 1000), // gossip / retry-join / client heartbeat interval
  failure: envMs("NOMAD_DOUBLE_FAILURE_MS", 5000), // a server not heard from this long is "failed"
  nodeTtl: envMs("NOMAD_DOUBLE_NODE_TTL_MS", 10000), // a client not heard from this long is "down"
  hold: envMs("NOMAD_DOUBLE_RPC_HOLD_MS", 5000), // how long a consistent read waits for a leader (RPCHoldTimeout)
};
const INTERNAL = "/np-double/v1";

// ---------------------------------------------------------------- small helpers
export function goDuration(ms) {
  let n = Math.round(ms * 1e6);
  if (n === 0) return "0s";
  const sign = n < 0 ? "-" : "";
  n = Math.abs(n);
  const trim = (v, d) => v.toFixed(d).replace(/\.?0+$/, "");
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${trim(n / 1e3, 3)}µs`;
  if (n < 1e9) return `${sign}${trim(n / 1e6, 6)}ms`;
  const h = Math.floor(n / 3.6e12);
  const m = Math.floor((n - h * 3.6e12) / 6e10);
  const s = trim((n - h * 3.6e12 - m * 6e10) / 1e9, 9);
  return `${sign}${h ? `${h}h${m}m` : m ? `${m}m` : ""}${s}s`;
}

/** Parses a Go duration ("5m", "1m30s", "250ms"); returns ms or null. */
export function parseGoDuration(s) {
  const units = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6 };
  if (s === "0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let ms = 0;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    if (!m) return null;
    ms += Number(m[1]) * units[m[2]];
    at = re.lastIndex;
  }
  return s.length ? ms : null;
}

export function splitHostPort(s, defPort) {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(s);
  if (v6) return [v6[1], Number(v6[2] ?? defPort)];
  const i = s.lastIndexOf(":");
  if (i > 0 && s.indexOf(":") === i) return [s.slice(0, i), Number(s.slice(i + 1))];
  return [s, defPort];
}
const joinHostPort = (h, p) => (h.includes(":") ? `[${h}]:${p}` : `${h}:${p}`);
const withPort = (s, p) => joinHostPort(...splitHostPort(s, p));
/** Orders "ip:port" strings numerically (IPv4), so every server picks the same leader. */
const addrKey = (a) => {
  const [h, p] = splitHostPort(a, 0);
  const v4 = h.split(".").map(Number);
  return v4.length === 4 && v4.every((x) => x >= 0 && x < 256)
    ? `${v4.map((x) => String(x).padStart(3, "0")).join(".")}:${String(p).padStart(5, "0")}`
    : `~${a}`;
};
const byAddr = (a, b) => (addrKey(a) < addrKey(b) ? -1 : addrKey(a) > addrKey(b) ? 1 : 0);
const stableSince = (t) => new Date(Math.round(t / 1000) * 1000).toISOString().replace(/\.\d+Z$/, "Z");

// ---------------------------------------------------------------- logging (hclog-like lines on stdout)
const LEVELS = { TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4 };
let minLevel = LEVELS.INFO;
let logGate = null; // like Nomad's gated writer: log lines wait until the startup banner is out
function log(level, sub, msg, fields = {}) {
  if (LEVELS[level] < minLevel) return;
  const kv = Object.entries(fields)
    .map(([k, v]) => ` ${k}=${/[\s"]/.test(String(v)) || String(v) === "" ? JSON.stringify(String(v)) : v}`)
    .join("");
  const tag = `[${level}]`.padEnd(8);
  const line = `    ${new Date().toISOString()} ${tag}${sub}: ${msg}${kv ? `:${kv}` : ""}\n`;
  if (logGate) logGate.push(line);
  else process.stdout.write(line);
}
const ui = (s) => process.stdout.write(`==> ${s}\n`);
const uiError = (s) => process.stderr.write(`==> ${s}\n`);

// ---------------------------------------------------------------- config: keys (Nomad 1.10.5, blocks that reject unknown keys)
const KEYS = {
  "": "acl addresses advertise audit autopilot bind_addr client consul data_dir datacenter disable_anonymous_signature disable_update_check enable_debug enable_syslog eventlog http_api_response_headers keyring leave_on_interrupt leave_on_terminate limits log_file log_include_location log_json log_level log_rotate_bytes log_rotate_duration log_rotate_max_files name plugin plugin_dir ports region reporting rpc sentinel server syslog_facility telemetry tls ui vault",
  acl: "enabled token_ttl policy_ttl role_ttl replication_token token_min_expiration_ttl token_max_expiration_ttl",
  addresses: "http rpc serf",
  advertise: "http rpc serf",
  audit: "enabled sink filter",
  autopilot:
    "cleanup_dead_servers server_stabilization_time last_contact_threshold max_trailing_logs min_quorum enable_redundancy_zones disable_upgrade_migration enable_custom_upgrades",
  client:
    "enabled state_dir alloc_dir alloc_mounts_dir host_volumes_dir host_volume_plugin_dir servers node_class node_pool options meta chroot_env network_interface preferred_address_family network_speed cpu_disable_dmidecode cpu_total_compute memory_total_mb disk_total_mb disk_free_mb reservable_cores max_kill_timeout client_max_port client_min_port max_dynamic_port min_dynamic_port reserved gc_interval gc_parallel_destroys gc_disk_usage_threshold gc_inode_usage_threshold gc_max_allocs gc_volumes_on_node_gc no_host_uuid disable_remote_exec template server_join host_volume cni_path cni_config_dir bridge_network_name bridge_network_subnet bridge_network_subnet_ipv6 bridge_network_hairpin_mode host_network bind_wildcard_default_host_network cgroup_parent nomad_service_discovery artifact drain_on_shutdown users node_max_allocs log_file",
  "client.reserved": "cpu memory disk reserved_ports cores",
  "client.server_join": "start_join retry_join retry_max retry_interval",
  ports: "http rpc serf",
  server:
    "enabled authoritative_region bootstrap_expect data_dir protocol_version raft_protocol raft_multiplier num_schedulers enabled_schedulers node_gc_threshold job_gc_interval job_gc_threshold eval_gc_threshold batch_eval_gc_threshold deployment_gc_threshold csi_volume_claim_gc_interval csi_volume_claim_gc_threshold csi_plugin_gc_threshold acl_token_gc_threshold root_key_gc_interval root_key_gc_threshold root_key_rotation_threshold heartbeat_grace min_heartbeat_ttl max_heartbeats_per_second failover_heartbeat_ttl start_join retry_join retry_max retry_interval rejoin_after_leave non_voting_server redundancy_zone upgrade_version encrypt server_join default_scheduler_config plan_rejection_tracker enable_event_broker event_buffer_size license_path search deploy_query_rate_limit raft_boltdb raft_snapshot_threshold raft_snapshot_interval raft_trailing_logs job_default_priority job_max_priority job_max_source_size job_tracked_versions oidc_issuer start_timeout log_file",
  "server.plan_rejection_tracker": "enabled node_threshold node_window",
  "server.server_join": "start_join retry_join retry_max retry_interval",
  telemetry:
    "in_memory_collection_interval in_memory_retention_period statsite_address statsd_address datadog_address datadog_tags prometheus_metrics disable_hostname use_node_name collection_interval publish_allocation_metrics publish_node_metrics include_alloc_metadata_in_metrics allowed_metadata_keys_in_metrics prefix_filter filter_default disable_dispatched_job_summary_metrics disable_quota_utilization_metrics disable_rpc_rate_metrics_labels disable_allocation_hook_metrics circonus_api_token circonus_api_app circonus_api_url circonus_submission_interval circonus_submission_url circonus_check_id circonus_check_force_metric_activation circonus_check_instance_id circonus_check_search_tag circonus_check_tags circonus_check_display_name circonus_broker_id circonus_broker_select_tag",
  tls: "http rpc verify_server_hostname ca_file cert_file key_file rpc_upgrade_mode verify_https_client tls_cipher_suites tls_min_version",
};

/** Returns Nomad's "unexpected keys" error text for a parsed config file, or null. */
export function unexpectedKeys(cfg) {
  for (const [block, list] of Object.entries(KEYS)) {
    const obj = block ? block.split(".").reduce((o, k) => (isObj(o) ? o[k] : undefined), cfg) : cfg;
    if (!isObj(obj)) continue;
    const allowed = new Set(list.split(" "));
    const bad = Object.keys(obj).filter((k) => !allowed.has(k.toLowerCase()));
    // helper.UnusedKeys prefixes the block path, innermost name first ("server_join.client unexpected keys x").
    if (bad.length)
      return `${block ? `${block.split(".").reverse().join(".")} ` : ""}unexpected keys ${bad.join(", ")}`;
  }
  return null;
}

function parseConfigFile(file) {
  const text = fs.readFileSync(file, "utf8");
  let obj;
  if (file.endsWith(".json")) {
    // HCL's JSON form may give blocks as arrays of objects: fold them into one object.
    const fold = (v) =>
      Array.isArray(v) && v.length && v.every(isObj)
        ? fold(v.reduce(deepMerge, {}))
        : isObj(v)
          ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fold(x)]))
          : v;
    obj = fold(JSON.parse(text));
  } else obj = parseHcl(text, file);
  const bad = unexpectedKeys(obj);
  if (bad) throw new Error(bad);
  // config_parse.go convertDurations (its role_ttl entry names acl.policy_ttl: Nomad's own slip, kept)
  for (const [key, name] of [
    ["token_ttl", "acl.token_ttl"],
    ["policy_ttl", "acl.policy_ttl"],
    ["role_ttl", "acl.policy_ttl"],
    ["token_min_expiration_ttl", "acl.token_min_expiration_ttl"],
    ["token_max_expiration_ttl", "acl.token_max_expiration_ttl"],
  ]) {
    const v = obj.acl?.[key];
    if (v != null && v !== "" && parseGoDuration(String(v)) === null)
      throw new Error(`${name} can't parse time duration ${v}`);
  }
  return obj;
}

/** Loads -config paths like `nomad agent`: a dir contributes its *.hcl and *.json files in lexical order. */
export function loadConfig(paths) {
  let merged = {};
  const files = [];
  const warnings = [];
  for (const p of paths) {
    let st;
    try {
      st = fs.statSync(p);
    } catch {
      throw new Error(`Error loading configuration from ${p}: stat ${p}: no such file or directory`);
    }
    const list = st.isDirectory()
      ? fs
          .readdirSync(p)
          .filter((n) => /\.(hcl|json)$/.test(n) && !/^\.#|~$|^#.*#$/.test(n))
          .sort()
          .map((n) => path.join(p, n))
          .filter((f) => fs.statSync(f).isFile())
      : [p];
    if (!list.length) warnings.push(`No configuration loaded from ${p}`);
    for (const f of list) {
      try {
        merged = deepMerge(merged, parseConfigFile(f));
      } catch (e) {
        const inner = st.isDirectory() ? `Error loading ${f}: ${e.message}` : e.message;
        throw new Error(`Error loading configuration from ${p}: ${inner}`);
      }
      files.push(f);
    }
  }
  return { raw: merged, files, warnings };
}

function defaultIp() {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return "127.0.0.1";
}

/** Turns the merged raw config into the agent's settings; throws with Nomad's error text when invalid. */
export function normalizeConfig(raw, files = []) {
  const s = raw.server ?? {};
  const c = raw.client ?? {};
  const list = (v) => (Array.isArray(v) ? v.map(String) : v == null ? [] : [String(v)]);
  const bool = (v) => v === true || v === "true" || v === 1;
  const bind = String(raw.bind_addr ?? "0.0.0.0");
  for (const v of [bind, ...Object.values(raw.addresses ?? {}), ...Object.values(raw.advertise ?? {})])
    if (String(v).includes("{{"))
      throw new Error(`np's Nomad double does not evaluate go-sockaddr templates: ${v}`);
  const ports = {
    http: Number(raw.ports?.http ?? 4646),
    rpc: Number(raw.ports?.rpc ?? 4647),
    serf: Number(raw.ports?.serf ?? 4648),
  };
  const addresses = {};
  const advertise = {};
  const advDefault = bind === "0.0.0.0" || bind === "::" ? defaultIp() : bind;
  for (const k of ["http", "rpc", "serf"]) {
    addresses[k] = String(raw.addresses?.[k] ?? bind);
    const adv = raw.advertise?.[k];
    advertise[k] = adv ? withPort(String(adv), ports[k]) : joinHostPort(advDefault, ports[k]);
  }
  const cfg = {
    region: String(raw.region ?? "global"),
    datacenter: String(raw.datacenter ?? "dc1"),
    name: String(raw.name ?? os.hostname()),
    dataDir: raw.data_dir == null ? "" : String(raw.data_dir),
    logLevel: String(raw.log_level ?? "INFO").toUpperCase(),
    bind,
    ports,
    addresses,
    advertise,
    leaveOnInt: bool(raw.leave_on_interrupt),
    leaveOnTerm: bool(raw.leave_on_terminate),
    aclEnabled: bool(raw.acl?.enabled),
    acl: aclSettings(raw.acl ?? {}),
    tls: tlsSettings(raw.tls ?? {}),
    warnings: [],
    cleanupDeadServers:
      raw.autopilot?.cleanup_dead_servers == null || bool(raw.autopilot.cleanup_dead_servers),
    // autopilot.server_stabilization_time (default 10s): how long a server must be up before it counts healthy
    stabilizationMs: parseGoDuration(String(raw.autopilot?.server_stabilization_time ?? "10s")) ?? 10000,
    server: {
      enabled: bool(s.enabled),
      bootstrapExpect: Number(s.bootstrap_expect ?? 0),
      encrypt: s.encrypt == null ? "" : String(s.encrypt),
      retryJoin: [...list(s.server_join?.retry_join), ...list(s.retry_join), ...list(s.start_join)],
    },
    client: {
      enabled: bool(c.enabled),
      servers: [...list(c.servers), ...list(c.server_join?.retry_join)],
      nodeClass: String(c.node_class ?? ""),
      nodePool: String(c.node_pool ?? "default"),
      meta: Object.fromEntries(Object.entries(c.meta ?? {}).map(([k, v]) => [k, String(v)])),
      hostVolumes: c.host_volume ?? {},
    },
    consulAddr: String(raw.consul?.address ?? "127.0.0.1:8500"),
    consulToken: String(raw.consul?.token ?? ""),
    files,
    raw,
  };
  try {
    checkConfig(cfg);
  } catch (e) {
    e.warnings = cfg.warnings;
    throw e;
  }
  return cfg;
}

/** Same checks, same order and same words as `nomad agent` (command/agent/command.go IsValidConfig). */
function checkConfig(cfg) {
  if (!cfg.server.enabled && !cfg.client.enabled)
    throw new Error("Must specify either server, client or dev mode for the agent.");
  // printed as an error line, then the agent goes on, unless both HTTP and RPC use TLS
  if (!cfg.tls.http || !cfg.tls.rpc)
    cfg.warnings.push("WARNING: mTLS is not configured - Nomad is not secure without mTLS!");
  if (cfg.server.encrypt) {
    const b64 = /^[A-Za-z0-9+/]*={0,2}$/.test(cfg.server.encrypt) && cfg.server.encrypt.length % 4 === 0;
    if (!b64) throw new Error("Invalid encryption key: illegal base64 data at input byte 0");
    const n = Buffer.from(cfg.server.encrypt, "base64").length;
    if (![16, 24, 32].includes(n))
      throw new Error(
        `Error starting agent: server setup failed: key size must be 16, 24 or 32 bytes (got ${n})`,
      );
  }
  // command.go: once the keyring file exists it wins over `encrypt` (agent.go setupKeyrings seeds it only)
  if (cfg.server.encrypt && cfg.dataDir && fs.existsSync(path.join(cfg.dataDir, KEYRING_FILE)))
    cfg.warnings.push("WARNING: keyring exists but -encrypt given, using keyring");
  if (cfg.dataDir && !path.isAbsolute(cfg.dataDir))
    throw new Error(`data-dir must be given as an absolute path: got ${cfg.dataDir}`);
  if (cfg.server.enabled && !cfg.dataDir) throw new Error("Must specify data directory");
  if (cfg.client.enabled && !cfg.dataDir)
    throw new Error("Must specify both the state and alloc dir if data-dir is omitted.");
  if (cfg.server.bootstrapExpect > 0 && !cfg.server.enabled)
    throw new Error("Bootstrap requires server mode to be enabled");
  if (!(cfg.logLevel in LEVELS))
    throw new Error(
      `Invalid log level: ${cfg.logLevel}. Valid log levels are: [TRACE DEBUG INFO WARN ERROR]`,
    );
}

/** The `acl` block (command/agent/config.go ACLConfig; defaults 30s TTLs, token expiration TTLs 1m..24h). */
function aclSettings(a) {
  const ms = (v, def) => (v == null || v === "" ? def : parseGoDuration(String(v)));
  return {
    enabled: a.enabled === true || a.enabled === "true",
    tokenTtlMs: ms(a.token_ttl, 30000),
    policyTtlMs: ms(a.policy_ttl, 30000),
    roleTtlMs: ms(a.role_ttl, 30000),
    replicationToken: a.replication_token == null ? "" : String(a.replication_token),
    tokenMinExpirationMs: ms(a.token_min_expiration_ttl, 60000),
    tokenMaxExpirationMs: ms(a.token_max_expiration_ttl, 86400000),
  };
}

// ---------------------------------------------------------------- internal transport
const peerAgents = () => ({
  http: new http.Agent({ keepAlive: true }),
  https: new https.Agent({ keepAlive: true }),
});
const destroyPeerAgents = (a) => {
  a.http.destroy();
  a.https.destroy();
};
/**
 * POSTs JSON to another double agent; `tlsOpts` (rpc TLS) makes it mutual TLS with Go-like error texts. `agents`
 * keep connections open between requests, as Nomad's own RPC connections stay open: a new mutual-TLS handshake for
 * every gossip round made three idle servers cost several times the CPU of real Nomad ones.
 */
function postJson(hostport, p, payload, timeoutMs, tlsOpts = null, agents = null) {
  const [host, port] = splitHostPort(hostport, 0);
  const data = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = (tlsOpts ? https : http).request(
      {
        host,
        port,
        path: p,
        method: "POST",
        agent: (tlsOpts ? agents?.https : agents?.http) ?? false,
        headers: { "content-type": "application/json" },
        ...(tlsOpts ?? {}),
      },
      (res) => {
        const chunks = [];
        res.on("data", (d) => chunks.push(d));
        res.on("error", reject);
        res.on("end", () => {
          const txt = Buffer.concat(chunks).toString();
          if (res.statusCode !== 200)
            return reject(
              Object.assign(new Error(txt || `HTTP ${res.statusCode}`), { status: res.statusCode }),
            );
          try {
            resolve(JSON.parse(txt));
          } catch (e) {
            reject(e);
          }
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`dial tcp ${hostport}: i/o timeout`)));
    req.on("error", (e) =>
      reject(
        e.code === "ECONNREFUSED"
          ? new Error(`dial tcp ${hostport}: connect: connection refused`)
          : tlsOpts && !/i\/o timeout/.test(e.message)
            ? new Error(goDialError(e))
            : e,
      ),
    );
    req.end(data);
  });
}
const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (d) => chunks.push(d));
    req.on("end", () => resolve(Buffer.concat(chunks).toString()));
    req.on("error", reject);
  });

class CodedError extends Error {
  constructor(code, msg) {
    super(msg);
    this.code = code;
  }
}
/** An error coming back from a server RPC: clients prefix it with "rpc error: ", like Nomad's conn pool. */
class RpcError extends Error {}
const NO_LEADER = "No cluster leader";
/** The double's "HTTP" RPC: an API request (with its ACL token) sent on to a server or to the leader. */
const httpRpcArgs = (req, forwarded) => ({
  method: req.method,
  path: req.path,
  query: req.query.toString(),
  body: req.body,
  token: req.token ?? "",
  forwarded,
});
const json = (body, headers = {}, status = 200) => ({ status, headers, body, json: true });

/** A Serf message no installed key decrypts (memberlist's error), from the member at `from`. */
function refuseUndecryptable(from) {
  log("ERROR", "memberlist", "failed to receive", {
    error: "No installed keys could decrypt the message",
    from,
  });
  throw new CodedError(403, "gossip encryption key mismatch");
}

// ---------------------------------------------------------------- the agent
export class Agent {
  constructor(cfg) {
    this.cfg = cfg;
    this.started = Date.now();
    this.inc = Date.now(); // incarnation: a restarted agent's heartbeats win over its old ones
    this.hb = 0;
    this.listeners = [];
    this.listenerKinds = [];
    this.busy = new Set(); // ticks still running (a slow tick is skipped, not stacked)
    this.waiters = new Set();
    this.lastLeaderContact = 0;
    // the servers' Serf keyring (nomad/keyring.mjs); clients do not gossip
    this.keyring = new GossipKeyring("", []);
    // rpc TLS options (set in start() once the certificates are loaded)
    this.outTls = null;
    this.peerAgents = peerAgents();
    this.transport = {
      postJson: (h, p, body, ms) => postJson(h, p, body, ms, this.outTls, this.peerAgents),
    };
    this.log = log;
    if (cfg.server.enabled) {
      this.initServer();
      initJobServer(this);
      initAclServer(this, fs, path, parseGoDuration);
    }
    if (cfg.client.enabled) {
      this.initClient();
      this.initJobClient();
    }
  }

  // ---------------- persistent ids and raft state in data_dir
  persistentId(rel) {
    const file = path.join(this.cfg.dataDir, rel);
    try {
      const v = fs.readFileSync(file, "utf8").trim();
      if (v) return v;
    } catch {}
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const id = randomUUID();
    fs.writeFileSync(file, id, { mode: 0o600 });
    return id;
  }

  initServer() {
    const { cfg } = this;
    this.serverId = this.persistentId("server/node-id");
    this.keyring = GossipKeyring.load(cfg.dataDir, cfg.server.encrypt);
    this.rpcAddr = cfg.advertise.rpc;
    this.serfAddr = cfg.advertise.serf;
    this.raftFile = path.join(cfg.dataDir, "server/raft/np-double-raft.json");
    let saved = {};
    try {
      saved = JSON.parse(fs.readFileSync(this.raftFile, "utf8"));
    } catch {}
    this.peers = new Map((saved.peers ?? []).map((p) => [p.addr, p])); // the raft configuration
    this.peersIndex = saved.index ?? 0;
    this.term = saved.term ?? 0;
    this.leader = "";
    this.members = new Map(); // serf view, keyed by serf "ip:port"
    this.nodeHb = new Map(); // client heartbeats: id -> {inc, hb, info, seenAt}
    // Replicated state, written by the leader only (Nomad keeps it in raft; the double in the same JSON file).
    this.fsm = { index: saved.fsmIndex ?? 0, nodes: new Map((saved.nodes ?? []).map((n) => [n.ID, n])) };
    this.health = new Map(); // rpc addr -> {healthy, since}
    this.upSince = new Map(); // rpc addr -> {inc, at}: when this incarnation of the server was first seen alive
    this.joined = false;
    this.joinFailures = 0;
    this.joinTargets = cfg.server.retryJoin.map((a) => withPort(a, 4648));
  }

  initClient() {
    this.nodeId = this.persistentId("client/client-id");
    this.knownServers = [];
    this.serverCursor = 0;
    this.lastHeartbeat = 0;
    this.clientHbFailing = false;
  }

  selfMember() {
    const { cfg } = this;
    const [ip, port] = splitHostPort(this.serfAddr, 4648);
    const tags = {
      role: "nomad",
      region: cfg.region,
      dc: cfg.datacenter,
      build: VERSION,
      revision: REVISION,
      vsn: "1",
      raft_vsn: "3",
      id: this.serverId,
      rpc_addr: splitHostPort(this.rpcAddr, 4647)[0],
      port: String(splitHostPort(this.rpcAddr, 4647)[1]),
    };
    if (cfg.server.bootstrapExpect === 1) tags.bootstrap = "1";
    if (cfg.server.bootstrapExpect) tags.expect = String(cfg.server.bootstrapExpect);
    const name = `${cfg.name}.${cfg.region}`;
    return {
      key: this.serfAddr,
      name,
      addr: ip,
      port,
      tags,
      inc: this.inc,
      hb: this.hb,
      term: this.term,
      fsmIndex: this.fsm.index,
    };
  }

  memberStatus(m) {
    if (m.key === this.serfAddr) return this.leaving ? "leaving" : "alive";
    if (m.left) return "left";
    return Date.now() - m.seenAt > TIMING.failure ? "failed" : "alive";
  }
  memberByRpc(addr) {
    if (addr === this.rpcAddr) return this.members.get(this.serfAddr);
    for (const m of this.members.values()) if (`${m.tags.rpc_addr}:${m.tags.port}` === addr) return m;
    return undefined;
  }
  /**
   * Autopilot's cleanup_dead_servers (on by default): the leader removes peers whose member has failed, as long as
   * no more than half of the peers are dead (consul/agent/consul/autopilot pruneDeadServers + canRemoveServers:
   * `deadServers > peers/2` refuses; raft-autopilot in Nomad keeps the same rule). Only a member gossip knows and
   * has marked failed counts: the double keeps no serf snapshot, so after a restart a peer not heard from yet is
   * unknown, not dead.
   */
  pruneDeadServers() {
    if (!this.cfg.cleanupDeadServers) return;
    const dead = [...this.peers.keys()].filter((addr) => {
      if (addr === this.rpcAddr) return false;
      const m = this.memberByRpc(addr);
      return m !== undefined && this.memberStatus(m) === "failed";
    });
    if (dead.length === 0 || dead.length > Math.floor(this.peers.size / 2)) return;
    for (const addr of dead) {
      const p = this.peers.get(addr);
      log("INFO", "nomad.autopilot", "Attempting removal of failed server node", {
        name: p?.name,
        address: addr,
      });
      this.peers.delete(addr);
    }
    this.peersIndex++;
    this.saveRaft();
  }

  isAlive(rpcAddr) {
    const m = this.memberByRpc(rpcAddr);
    return !!m && this.memberStatus(m) === "alive";
  }

  gossipPayload() {
    return {
      keyTag: this.keyring.primaryTag(),
      region: this.cfg.region,
      from: this.serfAddr,
      rpc: this.rpcAddr,
      members: [...this.members.values()].map(({ seenAt, lastStatus, ...m }) => m),
      peers: { index: this.peersIndex, list: [...this.peers.values()] },
      term: this.term,
      leader: this.leader,
      fsmIndex: this.fsm.index,
      nodes: [...this.fsm.nodes.values()],
      nodeHb: [...this.nodeHb.values()].map(({ seenAt, ...h }) => h),
      // the leader's job state (Nomad replicates it through raft; the double ships it with every gossip)
      jobs: this.leader === this.rpcAddr ? this.store.toJSON() : undefined,
      acl: this.leader === this.rpcAddr ? this.acl.toJSON() : undefined,
    };
  }

  mergeGossip(g) {
    const now = Date.now();
    for (const e of g.members ?? []) {
      if (e.key === this.serfAddr) continue;
      const cur = this.members.get(e.key);
      const newer = !cur || e.inc > cur.inc || (e.inc === cur.inc && e.hb > cur.hb);
      if (newer || (e.left && !cur.left)) {
        const wasUp = cur && this.memberStatus(cur) === "alive";
        this.members.set(e.key, { ...e, seenAt: newer ? now : cur.seenAt });
        const m = this.members.get(e.key);
        if (m.left && cur && !cur.left) log("INFO", "nomad", `serf: EventMemberLeave: ${m.name} ${m.addr}`);
        else if (!wasUp && !m.left) {
          log("INFO", "nomad", `serf: EventMemberJoin: ${m.name} ${m.addr}`);
          const rpc = `${m.tags.rpc_addr}:${m.tags.port}`;
          log("INFO", "nomad", "adding server", { server: `${m.name} (Addr: ${rpc}) (DC: ${m.tags.dc})` });
        }
      }
    }
    // The leader's raft configuration is authoritative (so removals spread); before any leader, peer sets union.
    const fromLeader = g.leader && g.leader === g.rpc && g.term >= this.term;
    if (fromLeader) this.adoptPeers(g.peers);
    if (fromLeader && g.acl && g.leader !== this.rpcAddr) {
      this.acl.load(g.acl);
      this.saveAclSoon();
    }
    if (fromLeader && g.jobs && g.leader !== this.rpcAddr) {
      this.store.load(g.jobs);
      this.saveJobsSoon();
      this.notify();
    } else if (!this.leader && g.peers?.list?.length) this.mergePeers(g.peers);
    const usable = (a) => !!a && this.peers.has(a) && this.isAlive(a);
    if (g.term > this.term) {
      this.term = g.term;
      this.setLeader(usable(g.leader) ? g.leader : "");
    } else if (
      g.term === this.term &&
      usable(g.leader) &&
      g.leader !== this.leader &&
      (!this.leader || byAddr(g.leader, this.leader) < 0)
    )
      this.setLeader(g.leader);
    let changed = false;
    for (const n of g.nodes ?? []) {
      const cur = this.fsm.nodes.get(n.ID);
      if (!cur || n.ModifyIndex > cur.ModifyIndex) {
        this.fsm.nodes.set(n.ID, n);
        changed = true;
      }
    }
    if (g.fsmIndex > this.fsm.index) {
      this.fsm.index = g.fsmIndex;
      changed = true;
    }
    for (const h of g.nodeHb ?? []) this.mergeNodeHb(h, now);
    if (changed) {
      this.saveRaft();
      this.notify();
    }
  }

  mergePeers(p) {
    const before = this.peers.size;
    for (const e of p.list) if (!this.peers.has(e.addr)) this.peers.set(e.addr, e);
    if (this.peers.size !== before || p.index > this.peersIndex) {
      this.peersIndex = Math.max(p.index, this.peersIndex);
      this.saveRaft();
    }
  }

  adoptPeers(p) {
    const same = JSON.stringify([...this.peers.values()]) === JSON.stringify(p.list);
    if (same && p.index === this.peersIndex) return;
    this.peers = new Map(p.list.map((e) => [e.addr, e]));
    this.peersIndex = p.index;
    this.saveRaft();
  }

  mergeNodeHb(h, now) {
    const cur = this.nodeHb.get(h.id);
    if (!cur || h.inc > cur.inc || (h.inc === cur.inc && h.hb > cur.hb))
      this.nodeHb.set(h.id, { ...h, seenAt: now });
  }

  saveRaft() {
    try {
      fs.mkdirSync(path.dirname(this.raftFile), { recursive: true, mode: 0o700 });
      const data = {
        index: this.peersIndex,
        term: this.term,
        fsmIndex: this.fsm.index,
        peers: [...this.peers.values()],
        nodes: [...this.fsm.nodes.values()],
      };
      fs.writeFileSync(this.raftFile, JSON.stringify(data), { mode: 0o600 });
    } catch (e) {
      log("ERROR", "nomad.raft", "failed to persist raft configuration", { error: e.message });
    }
  }

  setLeader(addr) {
    if (addr === this.leader) return;
    const was = this.leader;
    this.leader = addr;
    if (addr === this.rpcAddr) {
      this.leaderSince = Date.now();
      log("INFO", "nomad.raft", "election won", { term: this.term, tally: this.alivePeers().length });
      log("INFO", "nomad.raft", "entering leader state", { leader: `Node at ${addr} [Leader]` });
      log("INFO", "nomad", "cluster leadership acquired");
    } else if (was === this.rpcAddr) log("INFO", "nomad", "cluster leadership lost");
    if (addr && addr !== this.rpcAddr)
      log("INFO", "nomad.raft", "entering follower state", {
        follower: `Node at ${this.rpcAddr} [Follower]`,
        "leader-address": addr,
      });
    if (!addr && was) log("WARN", "nomad.raft", "no known leader: quorum of raft peers not reachable");
    this.saveRaft();
    this.notify();
  }

  alivePeers() {
    return [...this.peers.keys()].filter((a) => this.isAlive(a));
  }

  async serverTick() {
    this.hb++;
    this.members.set(this.serfAddr, { ...this.selfMember(), seenAt: Date.now() });
    const targets = new Set([...this.joinTargets, ...this.members.keys()]);
    targets.delete(this.serfAddr);
    const results = await Promise.allSettled(
      [...targets].map(async (t) => {
        const reply = await this.transport.postJson(
          t,
          `${INTERNAL}/gossip`,
          this.gossipPayload(),
          Math.max(TIMING.gossip, 1000),
        );
        // the answer is encrypted with the other server's primary key: it must be one installed here
        if (!this.keyring.accepts(reply.keyTag))
          throw new Error("No installed keys could decrypt the message");
        this.mergeGossip(reply);
        if (this.members.get(t)) this.members.get(t).seenAt = Date.now();
        return t;
      }),
    );
    if (this.closed) return;
    const ok = results.filter((r) => r.status === "fulfilled").length;
    if (this.joinTargets.length && !this.joined) {
      if (ok > 0) {
        this.joined = true;
        log("INFO", "agent.joiner", "retry join completed", { initial_servers: ok, agent_mode: "server" });
      } else if (this.joinFailures++ % 30 === 0) {
        const errs = results.map((r) => r.reason?.message).filter(Boolean);
        log("WARN", "agent.joiner", "join failed", {
          error: errs.join("; ") || "no reachable servers",
          retry: "30s",
        });
      }
    }
    for (const m of this.members.values()) {
      const status = this.memberStatus(m);
      if (m.lastStatus === "alive" && status === "failed")
        log("INFO", "nomad", `serf: EventMemberFailed: ${m.name} ${m.addr}`);
      m.lastStatus = status;
    }
    this.raftTick();
  }

  raftTick() {
    const { cfg } = this;
    const servers = [...this.members.values()].filter(
      (m) => m.tags.region === cfg.region && this.memberStatus(m) === "alive",
    );
    const asPeer = (m) => ({
      id: m.tags.id,
      name: m.name.slice(0, -(cfg.region.length + 1)),
      addr: `${m.tags.rpc_addr}:${m.tags.port}`,
    });
    if (!this.peers.size && cfg.server.bootstrapExpect > 0 && servers.length >= cfg.server.bootstrapExpect) {
      const peers = servers.map(asPeer).sort((a, b) => byAddr(a.addr, b.addr));
      log("INFO", "nomad", "found expected number of peers, attempting to bootstrap cluster...", {
        peers: peers.map((p) => p.addr).join(","),
      });
      this.peers = new Map(peers.map((p) => [p.addr, p]));
      this.peersIndex = Math.max(this.peersIndex, 1);
      this.saveRaft();
    }
    if (this.leader === this.rpcAddr) {
      for (const m of this.members.values()) {
        const addr = `${m.tags.rpc_addr}:${m.tags.port}`;
        if (this.memberStatus(m) !== "left" || !this.peers.has(addr)) continue;
        log("INFO", "nomad", "removing server", { server: `${m.name} (Addr: ${addr}) (DC: ${m.tags.dc})` });
        this.peers.delete(addr);
        this.peersIndex++;
        this.saveRaft();
      }
      this.pruneDeadServers();
    }
    if (this.peers.size) {
      for (const m of servers) {
        const p = asPeer(m);
        const cur = this.peers.get(p.addr);
        if (!cur && this.leader === this.rpcAddr) {
          this.peers.set(p.addr, p);
          this.peersIndex++;
          this.saveRaft();
        } else if (cur && (cur.id !== p.id || cur.name !== p.name)) {
          this.peers.set(p.addr, p);
          this.saveRaft();
        }
      }
    }
    // Leader election: sticky while the leader is alive and a quorum is up; otherwise the lowest alive address wins.
    const alive = this.alivePeers();
    const quorum = Math.floor(this.peers.size / 2) + 1;
    if (!this.peers.size || alive.length < quorum) this.setLeader("");
    else if (!(this.leader && this.peers.has(this.leader) && this.isAlive(this.leader))) {
      const candidate = alive.sort(byAddr)[0];
      if (candidate === this.rpcAddr) {
        this.term++;
        this.setLeader(this.rpcAddr);
      } else this.setLeader("");
    }
    if (this.leader && this.leader !== this.rpcAddr) {
      const lm = this.memberByRpc(this.leader);
      if (lm) this.lastLeaderContact = lm.seenAt;
    }
    // Autopilot server health: alive (serf) and up for server_stabilization_time in its current incarnation;
    // StableSince is the time of the last flip (raft-autopilot's ServerHealth.StableSince).
    const now = Date.now();
    for (const addr of this.peers.keys()) {
      const alive = this.isAlive(addr);
      const inc = addr === this.rpcAddr ? this.inc : this.memberByRpc(addr)?.inc;
      const up = this.upSince.get(addr);
      if (alive && (!up || up.inc !== inc)) this.upSince.set(addr, { inc, at: now });
      if (!alive) this.upSince.delete(addr);
      const ok = alive && now - (this.upSince.get(addr)?.at ?? now) >= this.cfg.stabilizationMs;
      const h = this.health.get(addr);
      if (!h || h.healthy !== ok) this.health.set(addr, { healthy: ok, since: now });
    }
    if (this.leader === this.rpcAddr) this.leaderDuties();
  }

  /** What Nomad's leader does for clients: register them, and mark them down when heartbeats stop. */
  leaderDuties() {
    const now = Date.now();
    const write = (id, mutate, msg) => {
      const cur = this.fsm.nodes.get(id);
      const n = structuredClone(cur ?? { ID: id, CreateIndex: this.fsm.index + 1, Events: [] });
      mutate(n);
      n.ModifyIndex = ++this.fsm.index;
      if (msg)
        n.Events = [
          ...n.Events,
          {
            CreateIndex: n.ModifyIndex,
            Details: null,
            Message: msg,
            Subsystem: "Cluster",
            Timestamp: new Date().toISOString(),
          },
        ].slice(-10);
      this.fsm.nodes.set(id, n);
      this.saveRaft();
      this.notify();
    };
    for (const [id, h] of this.nodeHb) {
      const fresh = now - h.seenAt < TIMING.nodeTtl;
      const cur = this.fsm.nodes.get(id);
      const setReady = (n) =>
        Object.assign(n, {
          info: h.info,
          Status: "ready",
          StatusDescription: "",
          StatusUpdatedAt: Math.floor(now / 1000),
        });
      if (!cur && fresh) {
        write(id, setReady, "Node registered");
        this.unblockEvals();
        log("INFO", "nomad.client", "node registered", { node_id: id, name: h.info.Name });
      } else if (cur && fresh && cur.Status !== "ready") {
        write(id, setReady, "Node heartbeat received");
        this.unblockEvals();
        log("INFO", "nomad.heartbeat", "node is ready again", { node_id: id });
      } else if (cur && fresh && JSON.stringify(cur.info) !== JSON.stringify(h.info)) write(id, setReady);
    }
    for (const [id, n] of this.fsm.nodes) {
      const h = this.nodeHb.get(id);
      const seen = Math.max(h?.seenAt ?? 0, this.leaderSince ?? 0);
      if (n.Status === "ready" && now - seen > TIMING.nodeTtl) {
        write(
          id,
          (x) => Object.assign(x, { Status: "down", StatusUpdatedAt: Math.floor(now / 1000) }),
          "Node heartbeat missed",
        );
        log("WARN", "nomad.heartbeat", "node TTL expired", { node_id: id });
        this.nodeDown(id);
      }
    }
  }

  notify() {
    for (const w of [...this.waiters]) w();
  }
  /** Resolves on the next state change, or after `ms`. */
  changed(ms) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  // ---------------- client side: heartbeats to a server over the RPC port
  clientTargets() {
    const configured = this.cfg.client.servers.map((s) => withPort(s, 4647));
    return [...new Set([...this.knownServers, ...configured])];
  }

  nodeInfo() {
    const { cfg } = this;
    if (this.info) return this.info;
    let osName = "linux";
    let osVersion = "";
    try {
      const rel = fs.readFileSync("/etc/os-release", "utf8");
      osName = /^ID=(.*)$/m.exec(rel)?.[1]?.replaceAll('"', "") ?? osName;
      osVersion = /^VERSION_ID=(.*)$/m.exec(rel)?.[1]?.replaceAll('"', "") ?? "";
    } catch {}
    const cores = os.availableParallelism();
    const mhz = os.cpus()[0]?.speed || 1000;
    let diskMB = 0;
    let freeBytes = 0;
    try {
      const st = fs.statfsSync(cfg.dataDir);
      diskMB = Math.floor((st.blocks * st.bsize) / 1048576);
      freeBytes = st.bavail * st.bsize;
    } catch {}
    const ip = splitHostPort(cfg.advertise.http, 4646)[0];
    const memMB = Math.floor(os.totalmem() / 1048576);
    const attributes = {
      "cpu.arch": { x64: "amd64", arm64: "arm64" }[process.arch] ?? process.arch,
      "cpu.frequency": String(mhz),
      "cpu.numcores": String(cores),
      "cpu.totalcompute": String(cores * mhz),
      "kernel.name": "linux",
      "kernel.version": os.release(),
      "memory.totalbytes": String(os.totalmem()),
      "nomad.advertise.address": cfg.advertise.http,
      "nomad.bridge.hairpin_mode": "false",
      "nomad.revision": REVISION,
      "nomad.service_discovery": "true",
      "nomad.version": VERSION,
      "os.name": osName,
      "os.version": osVersion,
      "unique.hostname": os.hostname(),
      "unique.network.ip-address": ip,
      "unique.storage.bytesfree": String(freeBytes),
      "unique.storage.bytestotal": String(diskMB * 1048576),
      "unique.storage.volume": cfg.dataDir,
    };
    const hostVolumes = Object.fromEntries(
      Object.entries(cfg.client.hostVolumes).map(([n, v]) => [
        n,
        { Name: n, Path: String(v.path ?? ""), ReadOnly: v.read_only === true },
      ]),
    );
    // Nomad's default node meta; ${NOMAD_envoy_version} is literal text there too.
    const envoy = ["docker.io/envoyproxy/envoy:v$", "{NOMAD_envoy_version}"].join("");
    const meta = {
      "connect.gateway_image": envoy,
      "connect.log_level": "info",
      "connect.proxy_concurrency": "1",
      "connect.sidecar_image": envoy,
      ...cfg.client.meta,
    };
    const klass = createHash("sha256")
      .update(JSON.stringify([cfg.datacenter, cfg.client.nodeClass, meta]))
      .digest();
    this.info = {
      Name: cfg.name,
      Datacenter: cfg.datacenter,
      NodeClass: cfg.client.nodeClass,
      NodePool: cfg.client.nodePool,
      Address: ip,
      HTTPAddr: cfg.advertise.http,
      Version: VERSION,
      Meta: meta,
      Attributes: attributes,
      HostVolumes: hostVolumes,
      ComputedClass: `v1:${klass.readBigUInt64BE().toString()}`,
      Drivers: fingerprintDrivers(cfg.raw),
      cores,
      mhz,
      memMB,
      diskMB,
    };
    return this.info;
  }

  async clientTick() {
    this.hb++;
    const payload = { id: this.nodeId, inc: this.inc, hb: this.hb, info: this.nodeInfo() };
    if (this.cfg.server.enabled) {
      this.mergeNodeHb(payload, Date.now());
      this.knownServers = this.alivePeers().length ? this.alivePeers() : [this.rpcAddr];
      this.lastHeartbeat = Date.now();
      this.registered = true;
      return;
    }
    const targets = this.clientTargets();
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(this.serverCursor + k) % targets.length];
      try {
        const r = await this.transport.postJson(
          t,
          `${INTERNAL}/rpc`,
          { method: "Node.UpdateStatus", args: payload },
          Math.max(TIMING.gossip, 1000),
        );
        this.serverCursor = (this.serverCursor + k) % targets.length;
        this.knownServers = r.servers?.length ? r.servers : [t];
        this.lastHeartbeat = Date.now();
        this.registered = true;
        if (this.clientHbFailing) log("INFO", "client", "heartbeat succeeded again", { server: t });
        this.clientHbFailing = false;
        return;
      } catch (e) {
        if (!this.clientHbFailing)
          log("ERROR", "client.rpc", "error performing RPC to server", {
            error: e.message,
            rpc: "Node.UpdateStatus",
            server: t,
          });
      }
    }
    this.clientHbFailing = true;
    if (Date.now() - this.lastHeartbeat > TIMING.nodeTtl) this.knownServers = [];
  }

  // ---------------- internal endpoints (serf port: gossip; rpc port: client heartbeats and forwarded API calls)
  async onInternal(req, res, kind) {
    let status = 200;
    let reply;
    try {
      if (req.method !== "POST") throw new CodedError(405, "Invalid method");
      const body = JSON.parse(await readBody(req));
      if (kind === "serf" && req.url === `${INTERNAL}/gossip`) {
        if (!this.keyring.accepts(body.keyTag)) refuseUndecryptable(body.from);
        if (this.leaving) throw new CodedError(503, "agent is leaving");
        this.mergeGossip(body);
        reply = this.gossipPayload();
      } else if (kind === "serf" && req.url === KEY_QUERY_PATH) {
        reply = answerKeyQuery(this, body);
        if (reply === undefined) refuseUndecryptable(body.from);
      } else if (kind === "rpc" && req.url === `${INTERNAL}/rpc` && body.method === "Node.UpdateStatus") {
        this.mergeNodeHb(body.args, Date.now());
        reply = {
          servers: this.alivePeers().length ? this.alivePeers() : [this.rpcAddr],
          leader: this.leader,
        };
      } else if (
        kind === "rpc" &&
        req.url === `${INTERNAL}/rpc` &&
        /^Node\.(GetClientAllocs|UpdateAlloc)$/.test(body.method)
      ) {
        if (!this.cfg.server.enabled) throw new CodedError(404, "unknown internal endpoint");
        reply = await this.jobRpc(body.method, body.args);
      } else if (kind === "rpc" && req.url === `${INTERNAL}/rpc` && body.method === "ACL.WhoAmI") {
        // client/acl.go resolveTokenValue: any server answers (AllowStale); errors go back as text
        if (!this.cfg.server.enabled) throw new CodedError(404, "unknown internal endpoint");
        reply = whoAmIForClient(this, String(body.args?.secret ?? ""));
      } else if (kind === "rpc" && req.url === `${INTERNAL}/rpc` && body.method === "FileSystem.LogsTarget") {
        if (!this.cfg.server.enabled) throw new CodedError(404, "unknown internal endpoint");
        reply = this.logsTarget(String(body.args?.allocId ?? ""), String(body.args?.token ?? ""));
      } else if (kind === "rpc" && req.url === `${INTERNAL}/rpc` && body.method === "HTTP") {
        const a = body.args;
        const query = new URLSearchParams(a.query);
        reply = await this.respond({
          method: a.method,
          path: a.path,
          query,
          body: a.body,
          token: String(a.token ?? ""),
          forwarded: a.forwarded === true,
        });
      } else throw new CodedError(404, "unknown internal endpoint");
    } catch (e) {
      status = e.code > 0 ? e.code : 500;
      reply = e.message;
    }
    res.writeHead(status, {
      "Content-Type": status === 200 ? "application/json" : "text/plain; charset=utf-8",
      "X-Np-Double": "nomad",
    });
    res.end(status === 200 ? JSON.stringify(reply) : String(reply));
  }

  // ---------------- the HTTP API
  async onHttp(req, res) {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname.startsWith("/v1/client/fs/logs/")) return this.onLogs(req, res, url);
    const reqBody = ["PUT", "POST", "DELETE"].includes(req.method) ? await readBody(req) : "";
    const r = await this.respond({
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      body: reqBody,
      token: parseToken(req.headers),
    });
    const headers = { "X-Np-Double": "nomad", ...r.headers };
    let body = "";
    if (r.json) {
      const pretty = url.searchParams.has("pretty") && url.searchParams.get("pretty") !== "0";
      body = pretty ? `${JSON.stringify(r.body, null, 4)}\n` : JSON.stringify(r.body);
      headers["Content-Type"] = "application/json";
    } else if (r.text != null) {
      body = r.text;
      headers["Content-Type"] = "text/plain; charset=utf-8";
    }
    // Nomad wraps its mux in gorilla's CompressHandler: gzip whenever the client accepts it.
    let out = Buffer.from(body);
    const accept = String(req.headers["accept-encoding"] ?? "");
    if (/\bgzip\b/.test(accept)) {
      out = zlib.gzipSync(out);
      headers["Content-Encoding"] = "gzip";
      headers.Vary = "Accept-Encoding";
    }
    headers["Content-Length"] = out.length;
    res.writeHead(r.status, headers);
    res.end(req.method === "HEAD" ? undefined : out);
  }

  /**
   * GET /v1/client/fs/logs/:alloc (command/agent/fs_endpoint.go Logs): checked like Nomad, streamed by the client
   * running the alloc; a server or another client forwards to that client's HTTP address.
   */
  async onLogs(req, res, url) {
    const q = url.searchParams;
    const fail = (code, text) => {
      res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "X-Np-Double": "nomad" });
      res.end(text);
    };
    const allocId = url.pathname.slice("/v1/client/fs/logs/".length);
    if (!allocId) return fail(400, "must provide a valid alloc id");
    const task = q.get("task") ?? "";
    if (!task) return fail(400, "must provide task name");
    const bool = (k) => {
      const v = q.get(k);
      if (!v) return false;
      if (/^(1|t|T|TRUE|true|True)$/.test(v)) return true;
      if (/^(0|f|F|FALSE|false|False)$/.test(v)) return false;
      throw new Error(
        `failed to parse ${k} field to boolean: strconv.ParseBool: parsing ${JSON.stringify(v)}: invalid syntax`,
      );
    };
    let follow;
    let plain;
    try {
      follow = bool("follow");
      plain = bool("plain");
    } catch (e) {
      return fail(400, e.message);
    }
    const type = q.get("type");
    if (type !== "stdout" && type !== "stderr") return fail(400, "must provide log type (stdout/stderr)");
    const offStr = q.get("offset") ?? "";
    if (offStr && !/^-?\d+$/.test(offStr))
      return fail(
        400,
        `error parsing offset: strconv.ParseInt: parsing ${JSON.stringify(offStr)}: invalid syntax`,
      );
    const origin = q.get("origin") || "start";
    if (origin !== "start" && origin !== "end") return fail(400, "origin must be start or end");
    const runner = this.runners?.get(allocId);
    const token = parseToken(req.headers);
    if (runner) {
      // client/fs_endpoint.go logs: the client resolves the token itself; read-fs or read-logs, else a 500
      try {
        const acl = await resolveToken(this, token, { asClient: true });
        if (!logsAllowed(acl, runner.alloc.Namespace ?? "default")) return fail(500, "Permission denied");
      } catch (e) {
        return fail(500, e.message.replace(/^failed to resolve ACL token: /, ""));
      }
      const tr = runner.tasks.get(task);
      if (!tr) return fail(400, `unknown task name ${JSON.stringify(task)}`);
      res.writeHead(200, {
        "Content-Type": plain ? "text/plain" : "application/json",
        "X-Np-Double": "nomad",
      });
      return streamLogs(res, {
        dir: runner.dirs.logs,
        task,
        type,
        follow,
        origin,
        offset: Number(offStr || 0),
        plain,
        isDone: () => tr.state.State === "dead",
      });
    }
    // nomad/client_fs_endpoint.go logs: a server checks the token and finds the node; a client asks a server
    let httpAddr;
    try {
      const args = { allocId, token };
      ({ httpAddr } = this.cfg.server.enabled
        ? this.logsTarget(allocId, token)
        : await this.clientRpc("FileSystem.LogsTarget", args));
    } catch (e) {
      return fail(e.code > 0 ? e.code : (e.status ?? 500), e.message);
    }
    if (!httpAddr || httpAddr === this.cfg.advertise.http)
      return fail(404, `Unknown allocation ${JSON.stringify(allocId)}`);
    const [host, port] = splitHostPort(httpAddr, 4646);
    const headers = token ? { "X-Nomad-Token": token } : {};
    const opts = { host, port, path: req.url, method: "GET", agent: false, headers };
    const up = (this.httpTls ? https : http).request({ ...opts, ...(this.httpTls ?? {}) }, (ur) => {
      res.writeHead(ur.statusCode ?? 500, ur.headers);
      ur.pipe(res);
    });
    up.on("error", (e) => (res.headersSent ? res.end() : fail(500, `rpc error: ${e.message}`)));
    res.on("close", () => up.destroy());
    up.end();
  }

  /** FileSystem.Logs on a server: token, then the alloc (404), then read-fs/read-logs; the node's HTTP address. */
  logsTarget(allocId, token) {
    // the alloc-path rule authenticates and leaves the namespace check to us
    const req = { method: "GET", path: "/v1/allocation/", token, query: new URLSearchParams() };
    let acl = null;
    if (this.cfg.acl.enabled) {
      try {
        authorizeServer(this, req);
        acl = req.acl;
      } catch {
        throw new CodedError(500, "Permission denied");
      }
    }
    const a =
      this.store.allocs.get(allocId) ??
      [...this.store.allocs.values()].find((x) => allocId.length >= 8 && x.ID.startsWith(allocId));
    if (!a) throw new CodedError(404, `Unknown allocation ${JSON.stringify(allocId)}`);
    if (acl && !logsAllowed(acl, a.Namespace ?? "default")) throw new CodedError(500, "Permission denied");
    return { httpAddr: this.fsm.nodes.get(a.NodeID)?.info?.HTTPAddr ?? null };
  }

  /** Runs one API request; returns {status, headers, json|text, body}; errors become Nomad's plain-text bodies. */
  async respond(req) {
    log("DEBUG", "http", "request", { method: req.method, path: req.path });
    try {
      return await this.route(req);
    } catch (e) {
      if (e instanceof CodedError || Number.isInteger(e.code))
        return { status: e.code, headers: {}, text: e.message };
      // command/agent/http.go wrap: uncoded errors ending in an ACL error text are 403 with that text
      const mapped = httpError(e.message);
      if (mapped.code === 403) return { status: 403, headers: {}, text: mapped.message };
      return { status: 500, headers: {}, text: e.message, rpcError: e instanceof RpcError };
    }
  }

  async route(req) {
    const p = req.path;
    // agent:read checks (agent_endpoint.go AgentSelfRequest, listServers); health and regions need none
    const local = {
      "/v1/agent/self": async () => {
        await authorizeAgentRead(this, req);
        return json(this.agentSelf());
      },
      "/v1/agent/health": () => this.agentHealth(req),
      "/v1/agent/servers": async () => {
        if (!this.cfg.client.enabled) throw new CodedError(501, "Invalid method");
        await authorizeAgentRead(this, req);
        return json([...this.knownServers].sort());
      },
      "/v1/regions": () => json([this.cfg.region]),
    };
    if (p.startsWith("/v1/agent/keyring/")) return json(await keyringRoute(this, req));
    if (local[p]) {
      if (req.method !== "GET") throw new CodedError(405, "Invalid method");
      return local[p]();
    }
    const serverSide =
      /^\/v1\/(status\/(leader|peers)|agent\/members|nodes|operator\/autopilot\/(health|configuration))$/.test(
        p,
      ) ||
      p.startsWith("/v1/node/") ||
      p.startsWith("/v1/operator/raft/") ||
      p.startsWith("/v1/acl/") ||
      isJobsPath(p);
    if (serverSide) return this.cfg.server.enabled ? this.serverRoute(req) : this.forward(req);
    if (NOT_MODELLED.some((x) => (x.endsWith("/") ? p.startsWith(x) : p === x)))
      throw new CodedError(501, `np's Nomad test double does not implement ${req.method} ${p}`);
    return { status: 404, headers: {} }; // Nomad's root fallthrough: 404 with an empty body
  }

  /** A client agent has no state: it forwards server-side queries to a known server, as Nomad's RPC does. */
  async forward(req) {
    const servers = this.clientTargets();
    if (!servers.length) throw new Error("no servers");
    const wait = parseGoDuration(req.query.get("wait") ?? "") ?? 0;
    let lastErr;
    for (const s of servers) {
      try {
        const r = await this.transport.postJson(
          s,
          `${INTERNAL}/rpc`,
          { method: "HTTP", args: httpRpcArgs(req, false) },
          wait + TIMING.hold + 15000,
        );
        if (r.rpcError) r.text = `rpc error: ${r.text}`;
        return r;
      } catch (e) {
        lastErr = e;
        log("ERROR", "client.rpc", "error performing RPC to server", { error: e.message, server: s });
      }
    }
    throw new Error(`failed to get conn: ${lastErr.message}`);
  }

  /**
   * Nomad's rpc forward(): a consistent read waits up to RPCHoldTimeout for a leader ("No cluster leader"
   * after it) and is answered by the leader; returns true when this server must forward it there.
   */
  async needLeader(req) {
    if (req.query.has("stale")) return false;
    const deadline = Date.now() + TIMING.hold;
    while (!this.leader) {
      if (Date.now() >= deadline) throw new RpcError(NO_LEADER);
      await this.changed(Math.min(100, deadline - Date.now()));
    }
    return !req.forwarded && this.leader !== this.rpcAddr;
  }

  async forwardToLeader(req) {
    const wait = parseGoDuration(req.query.get("wait") ?? "") ?? 0;
    const args = httpRpcArgs(req, true);
    try {
      return await this.transport.postJson(
        this.leader,
        `${INTERNAL}/rpc`,
        { method: "HTTP", args },
        wait + TIMING.hold + 15000,
      );
    } catch (e) {
      throw new Error(`failed to get conn: ${e.message}`);
    }
  }

  queryMeta() {
    const contact = this.leader === this.rpcAddr || !this.leader ? 0 : Date.now() - this.lastLeaderContact;
    return {
      "X-Nomad-Index": String(Math.max(1, this.fsm.index)),
      "X-Nomad-KnownLeader": String(!!this.leader),
      "X-Nomad-LastContact": String(Math.max(0, Math.round(contact))),
    };
  }

  async serverRoute(req) {
    const { cfg } = this;
    const p = req.path;
    const region = req.query.get("region");
    if (region && region !== cfg.region) throw new RpcError("No path to region");
    const wait = req.query.get("wait");
    const index = req.query.get("index");
    if (wait && parseGoDuration(wait) === null) throw new CodedError(400, "Invalid wait time");
    if (index && !/^\d+$/.test(index)) throw new CodedError(400, "Invalid index");
    if (isJobsPath(p) || p.startsWith("/v1/acl/")) {
      // writes always go to the leader; reads too unless ?stale (then a follower answers from its copy)
      const write = req.method !== "GET";
      if (
        write ? await this.needLeader({ ...req, query: new URLSearchParams() }) : await this.needLeader(req)
      )
        return this.forwardToLeader(req);
      if (p.startsWith("/v1/acl/")) return aclRoute(this, req);
      authorizeServer(this, req);
      return jobsRoute(this, req);
    }
    if (p.startsWith("/v1/operator/raft/")) {
      if (!p.slice(18).startsWith("configuration")) throw new CodedError(404, "Invalid method");
      if (req.method !== "GET") return { status: 405, headers: {} };
      if (await this.needLeader(req)) return this.forwardToLeader(req);
      authorizeServer(this, req);
      return json({
        Index: this.peersIndex,
        Servers: [...this.peers.values()].map((s) => this.raftServer(s)),
      });
    }
    if (p === "/v1/operator/autopilot/health" || p === "/v1/operator/autopilot/configuration") {
      if (req.method !== "GET")
        throw new CodedError(
          req.method === "PUT" ? 501 : 404,
          req.method === "PUT"
            ? "np's Nomad test double does not implement PUT autopilot configuration"
            : "Invalid method",
        );
      if (await this.needLeader(req)) return this.forwardToLeader(req);
      authorizeServer(this, req);
      if (p.endsWith("configuration"))
        return json({
          CleanupDeadServers: cfg.cleanupDeadServers,
          LastContactThreshold: "200ms",
          MaxTrailingLogs: 250,
          MinQuorum: 0,
          ServerStabilizationTime: goDuration(cfg.stabilizationMs),
          EnableRedundancyZones: false,
          DisableUpgradeMigration: false,
          EnableCustomUpgrades: false,
          CreateIndex: 1,
          ModifyIndex: 1,
        });
      const h = this.autopilotHealth();
      return json(h, {}, h.Healthy ? 200 : 429);
    }
    const rest = p.startsWith("/v1/node/") ? p.slice("/v1/node/".length) : "";
    if (rest.includes("/"))
      throw new CodedError(501, `np's Nomad test double does not implement ${req.method} ${p}`);
    if (req.method !== "GET") throw new CodedError(405, "Invalid method");
    if (p === "/v1/agent/members") {
      authorizeServer(this, req);
      return json(this.agentMembers());
    }
    if (await this.needLeader(req)) return this.forwardToLeader(req);
    authorizeServer(this, req);
    if (p === "/v1/status/leader") return json(this.leader);
    if (p === "/v1/status/peers") return json([...this.peers.keys()]);
    if (req.query.has("filter"))
      throw new CodedError(501, "np's Nomad test double does not implement ?filter expressions");
    if (p === "/v1/nodes") {
      await this.block(req, () => this.fsm.index);
      const prefix = req.query.get("prefix") ?? "";
      const list = [...this.fsm.nodes.values()]
        .filter((n) => n.ID.startsWith(prefix))
        .sort((a, b) => (a.ID < b.ID ? -1 : 1))
        .map((n) => this.nodeStub(n, req.query));
      return json(list, this.queryMeta());
    }
    await this.block(req, () => this.fsm.nodes.get(rest)?.ModifyIndex ?? this.fsm.index);
    const n = this.fsm.nodes.get(rest);
    const meta = { ...this.queryMeta(), ...(n ? { "X-Nomad-Index": String(n.ModifyIndex) } : {}) };
    if (!n) return { status: 404, headers: meta, text: "node not found" };
    return json(this.nodeFull(n), meta);
  }

  /** Nomad's blocking queries: hold until the index passes ?index= or ?wait= (default 5m, max 10m, + jitter). */
  async block(req, currentIndex) {
    const min = Number(req.query.get("index") ?? 0);
    if (!min) return;
    let wait = parseGoDuration(req.query.get("wait") ?? "") || 300000;
    wait = Math.min(wait, 600000);
    const deadline = Date.now() + wait + Math.random() * (wait / 16);
    while (currentIndex() <= min && Date.now() < deadline) await this.changed(deadline - Date.now());
  }

  raftServer(s) {
    const m = this.memberByRpc(s.addr);
    return {
      Address: s.addr,
      ID: s.id,
      Leader: s.addr === this.leader,
      Node: m ? m.name : `${s.name}.${this.cfg.region}`,
      RaftProtocol: "3",
      Voter: true,
    };
  }

  autopilotHealth() {
    const now = Date.now();
    const servers = [...this.peers.values()].map((s) => {
      const m = this.memberByRpc(s.addr);
      const alive = this.isAlive(s.addr);
      const isLeader = s.addr === this.leader;
      const self = s.addr === this.rpcAddr;
      return {
        ID: s.id,
        Name: s.name,
        Address: s.addr,
        SerfStatus: m ? this.memberStatus(m) : "none",
        Version: m?.tags.build ?? "",
        Leader: isLeader,
        LastContact: isLeader || self ? "0s" : goDuration(m ? now - m.seenAt : 0),
        LastTerm: self ? this.term : (m?.term ?? this.term),
        LastIndex: self ? this.fsm.index : (m?.fsmIndex ?? 0),
        Healthy: alive && this.health.get(s.addr)?.healthy === true,
        Voter: true,
        StableSince: stableSince(this.health.get(s.addr)?.since ?? this.started),
      };
    });
    const healthy = servers.filter((s) => s.Healthy).length;
    const quorum = Math.floor(servers.length / 2) + 1;
    return {
      Healthy: servers.length > 0 && healthy === servers.length,
      FailureTolerance: Math.max(0, healthy - quorum),
      Servers: servers,
      Leader: this.peers.get(this.leader)?.id ?? "",
      Voters: servers.map((s) => s.ID),
    };
  }

  memberJson(m) {
    return {
      Name: m.name,
      Addr: m.addr,
      Port: m.port,
      Tags: m.tags,
      Status: this.memberStatus(m),
      ProtocolMin: 1,
      ProtocolMax: 5,
      ProtocolCur: 2,
      DelegateMin: 2,
      DelegateMax: 5,
      DelegateCur: 4,
    };
  }

  agentMembers() {
    const list = [...this.members.values()]
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((m) => this.memberJson(m));
    return {
      ServerName: this.cfg.name,
      ServerRegion: this.cfg.region,
      ServerDC: this.cfg.datacenter,
      Members: list,
    };
  }

  async agentHealth(req) {
    const types = req.query.getAll("type");
    const h = {};
    for (const t of types) h[t] = { ok: false, message: `${t} not enabled` };
    const want = (t) => !types.length || types.includes(t);
    if (this.cfg.client.enabled && want("client"))
      h.client = this.knownServers.length
        ? { ok: true, message: "ok" }
        : { ok: false, message: "no known servers" };
    if (this.cfg.server.enabled && want("server")) {
      h.server = { ok: true, message: "ok" };
      try {
        await this.needLeader(req);
      } catch (e) {
        h.server = { ok: false, message: e.message };
      }
    }
    const order = Object.fromEntries(["client", "server"].filter((k) => h[k]).map((k) => [k, h[k]]));
    if (Object.values(order).every((x) => x.ok)) return json(order);
    return { status: 500, headers: {}, text: JSON.stringify(order) };
  }

  agentSelf() {
    const { cfg } = this;
    const isServer = cfg.server.enabled;
    const member = isServer
      ? this.memberJson(this.members.get(this.serfAddr) ?? { ...this.selfMember(), seenAt: Date.now() })
      : {
          Name: "",
          Addr: null,
          Port: 0,
          Tags: null,
          Status: "none",
          ProtocolMin: 0,
          ProtocolMax: 0,
          ProtocolCur: 0,
          DelegateMin: 0,
          DelegateMax: 0,
          DelegateCur: 0,
        };
    const stats = {
      runtime: {
        arch: process.arch === "x64" ? "amd64" : process.arch,
        cpu_count: String(os.availableParallelism()),
        goroutines: "0",
        "kernel.name": "linux",
        max_procs: String(os.availableParallelism()),
        version: `np-nomad-double (node ${process.version})`,
      },
    };
    if (isServer) {
      const failed = [...this.members.values()].filter((m) => this.memberStatus(m) === "failed").length;
      const left = [...this.members.values()].filter((m) => this.memberStatus(m) === "left").length;
      stats.nomad = {
        server: "true",
        leader: String(this.leader === this.rpcAddr),
        leader_addr: this.leader,
        bootstrap: String(cfg.server.bootstrapExpect === 1),
        known_regions: "1",
      };
      stats.raft = {
        applied_index: String(this.fsm.index),
        commit_index: String(this.fsm.index),
        last_log_index: String(this.fsm.index),
        last_log_term: String(this.term),
        term: String(this.term),
        num_peers: String(Math.max(0, this.peers.size - 1)),
        protocol_version: "3",
        state:
          this.leader === this.rpcAddr
            ? "Leader"
            : this.leader
              ? "Follower"
              : this.peers.size
                ? "Candidate"
                : "Follower",
        last_contact:
          this.leader === this.rpcAddr
            ? "0"
            : this.leader
              ? goDuration(Date.now() - this.lastLeaderContact)
              : "never",
        latest_configuration: `[${[...this.peers.values()].map((s) => `{Suffrage:Voter ID:${s.id} Address:${s.addr}}`).join(" ")}]`,
        latest_configuration_index: String(this.peersIndex),
      };
      stats.serf = {
        members: String(this.members.size),
        failed: String(failed),
        left: String(left),
        encrypted: String(this.keyring.enabled),
        health_score: "0",
        member_time: String(this.hb),
        event_queue: "0",
        intent_queue: "0",
        query_queue: "0",
      };
    }
    if (cfg.client.enabled)
      stats.client = {
        node_id: this.nodeId,
        known_servers: [...this.knownServers].sort().join(","),
        num_allocations: String([...this.runners.values()].filter((r) => !r.stopping).length),
        last_heartbeat: goDuration(this.lastHeartbeat ? Date.now() - this.lastHeartbeat : 0),
        heartbeat_ttl: goDuration(TIMING.nodeTtl),
      };
    const config = {
      // agent_endpoint.go AgentSelfRequest redacts the replication token
      ACL: {
        Enabled: cfg.acl.enabled,
        TokenTTL: cfg.acl.tokenTtlMs * 1e6,
        PolicyTTL: cfg.acl.policyTtlMs * 1e6,
        RoleTTL: cfg.acl.roleTtlMs * 1e6,
        ReplicationToken: cfg.acl.replicationToken ? "<redacted>" : "",
        TokenMinExpirationTTL: cfg.acl.tokenMinExpirationMs * 1e6,
        TokenMaxExpirationTTL: cfg.acl.tokenMaxExpirationMs * 1e6,
      },
      Addresses: { HTTP: cfg.addresses.http, RPC: cfg.addresses.rpc, Serf: cfg.addresses.serf },
      AdvertiseAddrs: { HTTP: cfg.advertise.http, RPC: cfg.advertise.rpc, Serf: cfg.advertise.serf },
      Autopilot: {
        CleanupDeadServers: cfg.cleanupDeadServers,
        LastContactThreshold: 200000000,
        MaxTrailingLogs: 250,
        ServerStabilizationTime: cfg.stabilizationMs * 1e6,
      },
      BindAddr: cfg.bind,
      Client: {
        Enabled: cfg.client.enabled,
        Meta: cfg.client.meta,
        NodeClass: cfg.client.nodeClass,
        NodePool: cfg.client.nodePool,
        Servers: cfg.client.servers.length ? cfg.client.servers : null,
        StateDir: cfg.client.enabled ? path.join(cfg.dataDir, "client") : "",
        AllocDir: cfg.client.enabled ? path.join(cfg.dataDir, "alloc") : "",
      },
      Consul: {
        Addr: cfg.consulAddr,
        ServerServiceName: "nomad",
        ClientServiceName: "nomad-client",
        AutoAdvertise: true,
      },
      DataDir: cfg.dataDir,
      Datacenter: cfg.datacenter,
      Files: cfg.files,
      LeaveOnInt: cfg.leaveOnInt,
      LeaveOnTerm: cfg.leaveOnTerm,
      LogLevel: cfg.logLevel,
      NodeName: cfg.name,
      Ports: { HTTP: cfg.ports.http, RPC: cfg.ports.rpc, Serf: cfg.ports.serf },
      Region: cfg.region,
      Server: {
        Enabled: isServer,
        BootstrapExpect: cfg.server.bootstrapExpect,
        DataDir: isServer ? path.join(cfg.dataDir, "server") : "",
        RaftProtocol: 3,
        ServerJoin: {
          RetryJoin: cfg.server.retryJoin,
          RetryInterval: 30000000000,
          RetryMaxAttempts: 0,
          StartJoin: [],
        },
      },
      TLSConfig: {
        EnableHTTP: cfg.tls.http,
        EnableRPC: cfg.tls.rpc,
        VerifyServerHostname: cfg.tls.verifyServerHostname,
        CAFile: cfg.tls.caFile,
        CertFile: cfg.tls.certFile,
        KeyLoader: {},
        KeyFile: cfg.tls.keyFile,
        RPCUpgradeMode: cfg.tls.rpcUpgradeMode,
        VerifyHTTPSClient: cfg.tls.verifyHttpsClient,
        TLSCipherSuites: cfg.tls.cipherSuites,
        TLSMinVersion: cfg.tls.minVersion,
      },
      Version: {
        BuildDate: BUILD_DATE,
        Revision: REVISION,
        Version: VERSION,
        VersionMetadata: "",
        VersionPrerelease: "",
      },
    };
    return { config, member, stats };
  }

  nodeStub(n, q) {
    const i = n.info;
    const stub = { Address: i.Address, ID: n.ID };
    if (q.get("os") === "true") stub.Attributes = { "os.name": i.Attributes["os.name"] };
    Object.assign(stub, {
      Datacenter: i.Datacenter,
      Name: i.Name,
      NodeClass: i.NodeClass,
      NodePool: i.NodePool,
      Version: i.Version,
      Drain: false,
      SchedulingEligibility: "eligible",
      Status: n.Status,
      StatusDescription: n.StatusDescription,
      Drivers: i.Drivers ?? {},
    });
    if (q.get("resources") === "true") Object.assign(stub, this.resources(i));
    return Object.assign(stub, { LastDrain: null, CreateIndex: n.CreateIndex, ModifyIndex: n.ModifyIndex });
  }

  resources(i) {
    const net = [
      {
        CIDR: `${i.Address}/32`,
        Device: "",
        DynamicPorts: null,
        IP: i.Address,
        MBits: 1000,
        Mode: "host",
        ReservedPorts: null,
      },
    ];
    return {
      NodeResources: {
        Cpu: {
          CpuShares: i.cores * i.mhz,
          TotalCpuCores: i.cores,
          ReservableCpuCores: [...Array(i.cores).keys()],
        },
        Memory: { MemoryMB: i.memMB },
        Disk: { DiskMB: i.diskMB },
        Networks: net,
        NodeNetworks: [
          {
            Addresses: [
              { Address: i.Address, Alias: "default", Family: "ipv4", Gateway: "", ReservedPorts: "" },
            ],
            Device: "",
            MacAddress: "",
            Mode: "host",
          },
        ],
        Devices: null,
        MinDynamicPort: 20000,
        MaxDynamicPort: 32000,
      },
      ReservedResources: {
        Cpu: { CpuShares: 0 },
        Memory: { MemoryMB: 0 },
        Disk: { DiskMB: 0 },
        Networks: { ReservedHostPorts: "" },
      },
    };
  }

  nodeFull(n) {
    const i = n.info;
    const { NodeResources, ReservedResources } = this.resources(i);
    return {
      ID: n.ID,
      SecretID: "",
      Datacenter: i.Datacenter,
      Name: i.Name,
      HTTPAddr: i.HTTPAddr,
      TLSEnabled: this.cfg.tls.http,
      Attributes: i.Attributes,
      NodeResources,
      ReservedResources,
      Resources: {
        CPU: i.cores * i.mhz,
        MemoryMB: i.memMB,
        DiskMB: i.diskMB,
        IOPS: 0,
        Networks: NodeResources.Networks,
        Devices: null,
      },
      Reserved: { CPU: 0, MemoryMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null },
      Links: {},
      Meta: i.Meta,
      NodeClass: i.NodeClass,
      NodePool: i.NodePool,
      CgroupParent: "nomad.slice",
      ComputedClass: i.ComputedClass,
      Drain: false,
      DrainStrategy: null,
      SchedulingEligibility: "eligible",
      Status: n.Status,
      StatusDescription: n.StatusDescription,
      StatusUpdatedAt: n.StatusUpdatedAt,
      Events: n.Events,
      Drivers: i.Drivers ?? {},
      HostVolumes: i.HostVolumes,
      HostNetworks: {},
      CSIControllerPlugins: null,
      CSINodePlugins: null,
      LastDrain: null,
      NodeMaxAllocs: 0,
      CreateIndex: n.CreateIndex,
      ModifyIndex: n.ModifyIndex,
    };
  }

  // ---------------- lifecycle
  /** Listens with `make(handler)` (tls.mjs: plain, HTTPS or the internal mutual-TLS server). */
  listen(port, host, handler, what, make = (h) => http.createServer(h)) {
    return new Promise((resolve, reject) => {
      const srv = make((req, res) =>
        handler(req, res).catch((e) => {
          if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
          res.end(String(e?.message ?? e));
        }),
      );
      srv.keepAliveTimeout = 30000;
      if (srv.inner) srv.inner.keepAliveTimeout = 30000;
      srv.once("error", (e) =>
        reject(
          new Error(
            `failed to start ${what} listener: listen tcp ${joinHostPort(host, port)}: ${e.code === "EADDRINUSE" ? "bind: address already in use" : e.message}`,
          ),
        ),
      );
      srv.listen(port, host, () => resolve(srv));
      this.listeners.push(srv);
      this.listenerKinds.push({ srv, kind: what });
    });
  }

  /** SIGHUP with a changed `tls` block or changed certificate files: new connections use the new ones. */
  reloadTls(nextTls) {
    const reloaded = reloadAgentTls(this, nextTls, this.listenerKinds, log);
    // Connections made with the old certificates are not reused.
    if (reloaded) {
      destroyPeerAgents(this.peerAgents);
      this.peerAgents = peerAgents();
    }
    return reloaded;
  }

  async start() {
    const { cfg } = this;
    fs.mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
    Object.assign(this, setupAgentTls(cfg));
    const internal = (kind) => (h) => internalServer(cfg.tls, this.rpcTls, cfg.region, kind, h, log);
    if (cfg.server.enabled) {
      await this.listen(
        cfg.ports.serf,
        cfg.addresses.serf,
        (q, s) => this.onInternal(q, s, "serf"),
        "serf",
        internal("serf"),
      );
      await this.listen(
        cfg.ports.rpc,
        cfg.addresses.rpc,
        (q, s) => this.onInternal(q, s, "rpc"),
        "RPC",
        internal("rpc"),
      );
      this.members.set(this.serfAddr, { ...this.selfMember(), seenAt: Date.now() });
      log(
        "INFO",
        "nomad",
        `serf: EventMemberJoin: ${cfg.name}.${cfg.region} ${splitHostPort(this.serfAddr, 4648)[0]}`,
      );
      if (this.joinTargets.length)
        log("INFO", "agent.joiner", "starting retry join", { servers: this.joinTargets.join(" ") });
      if (!this.peers.size && cfg.server.bootstrapExpect)
        log("INFO", "nomad", `bootstrap_expect > 0: expecting ${cfg.server.bootstrapExpect} servers`);
    }
    await this.listen(
      cfg.ports.http,
      cfg.addresses.http,
      (q, s) => this.onHttp(q, s),
      "HTTP",
      (h) => httpApiServer(cfg.tls, this.apiTls, h, log),
    );
    if (cfg.client.enabled) log("INFO", "client", "node registration initiated", { node_id: this.nodeId });
    const loop = async (fn) => {
      if (this.closed || this.busy.has(fn)) return;
      this.busy.add(fn);
      try {
        await fn.call(this);
      } catch (e) {
        log("ERROR", "np-double", "tick failed", { error: e.message });
      } finally {
        this.busy.delete(fn);
      }
    };
    const tick = () => {
      if (cfg.server.enabled) loop(this.serverTick);
      if (cfg.client.enabled) loop(this.clientTick);
    };
    this.timer = setInterval(tick, TIMING.gossip);
    tick();
    // the leader's scheduler/deployment watcher also runs on its own short timer (deadlines, delayed evals)
    if (cfg.server.enabled)
      this.jobTimer = setInterval(() => this.leaderJobWork(), Math.min(250, TIMING.gossip));
    if (cfg.client.enabled) this.allocLoop();
  }

  async leave() {
    if (!this.cfg.server.enabled) return;
    this.leaving = true;
    const self = { ...this.selfMember(), left: true, hb: this.hb + 1 };
    const payload = { ...this.gossipPayload(), members: [self] };
    await Promise.allSettled(
      [...this.members.keys()]
        .filter((k) => k !== this.serfAddr)
        .map((t) => this.transport.postJson(t, `${INTERNAL}/gossip`, payload, 1000)),
    );
  }

  close() {
    this.closed = true;
    destroyPeerAgents(this.peerAgents);
    clearInterval(this.timer);
    clearInterval(this.jobTimer);
    if (this.cfg.client.enabled) this.stopJobClient();
    for (const s of this.listeners) s.close();
    for (const s of this.listeners) (s.inner ?? s).closeAllConnections?.();
    this.notify();
  }
}

Object.assign(Agent.prototype, jobMethods);

// Real Nomad endpoints this double does not model: answered with 501 and a clear text instead of a fake 404.
const NOT_MODELLED = `
  /v1/jobs/ /v1/evaluations/count /v1/volumes /v1/volumes/ /v1/volume/ /v1/plugins
  /v1/plugin/ /v1/client/ /v1/agent/join /v1/agent/force-leave /v1/agent/schedulers
  /v1/agent/schedulers/config /v1/agent/host /v1/agent/reload /v1/agent/monitor
  /v1/agent/monitor/export /v1/agent/pprof/ /v1/services /v1/service/ /v1/metrics /v1/validate/job
  /v1/scaling/ /v1/search /v1/search/fuzzy /v1/operator/license /v1/operator/keyring/
  /v1/operator/snapshot /v1/operator/upgrade-check/ /v1/operator/utilization
  /v1/operator/scheduler/configuration /v1/system/ /v1/event/stream /v1/namespaces /v1/namespace
  /v1/namespace/ /v1/vars /v1/var/
`
  .trim()
  .split(/\s+/);

// ---------------------------------------------------------------- CLI
const DOUBLE_NOTICE = "This is np's Nomad test double (test/doubles/nomad-double.mjs), not HashiCorp Nomad.";

function printVersion() {
  process.stdout.write(
    `Nomad v${VERSION}\nBuildDate ${BUILD_DATE}\nRevision ${REVISION}\n${DOUBLE_NOTICE}\n`,
  );
  return 0;
}

/** Parses `nomad agent` flags (Go flag syntax: -x v, -x=v, --x); returns {configPaths, overrides} or an error. */
export function parseAgentFlags(args) {
  const strFlags = {
    "data-dir": "data_dir",
    bind: "bind_addr",
    dc: "datacenter",
    region: "region",
    node: "name",
    "log-level": "log_level",
  };
  const out = { configPaths: [], overrides: {} };
  for (let k = 0; k < args.length; k++) {
    const m = /^--?([\w-]+)(?:=(.*))?$/.exec(args[k]);
    if (!m) return { error: `Unexpected argument: ${args[k]}` };
    const [, name, inline] = m;
    const val = () => inline ?? args[++k];
    if (name === "config") out.configPaths.push(val());
    else if (name in strFlags) out.overrides[strFlags[name]] = val();
    else if (name === "server" || name === "client")
      out.overrides = deepMerge(out.overrides, { [name]: { enabled: inline !== "false" } });
    else if (name === "bootstrap-expect")
      out.overrides = deepMerge(out.overrides, { server: { bootstrap_expect: Number(val()) } });
    else if (name === "retry-join")
      out.overrides = deepMerge(out.overrides, { server: { retry_join: [val()] } });
    else if (name === "servers")
      out.overrides = deepMerge(out.overrides, { client: { servers: val().split(",") } });
    else if (name === "node-class")
      out.overrides = deepMerge(out.overrides, { client: { node_class: val() } });
    else if (name === "dev") return { error: "np's Nomad test double does not implement -dev" };
    else return { error: `flag provided but not defined: -${name}` };
  }
  return out;
}

async function runAgent(args) {
  const flags = parseAgentFlags(args);
  if (flags.error) {
    uiError(flags.error);
    return 1;
  }
  let cfg;
  try {
    const loaded = loadConfig(flags.configPaths);
    for (const w of loaded.warnings) process.stderr.write(`${w}\n`);
    cfg = normalizeConfig(deepMerge(loaded.raw, flags.overrides), loaded.files);
  } catch (e) {
    for (const w of e.warnings ?? []) uiError(w);
    uiError(e.message);
    return 1;
  }
  for (const w of cfg.warnings) uiError(w);
  minLevel = LEVELS[cfg.logLevel];
  if (cfg.server.bootstrapExpect === 1)
    uiError("WARNING: Bootstrap mode enabled! Potentially unsafe operation.");
  ui(
    cfg.files.length ? `Loaded configuration from ${cfg.files.join(", ")}` : "No configuration files loaded",
  );
  ui("Starting Nomad agent...");
  ui(`WARNING: ${DOUBLE_NOTICE}`);
  let agent;
  logGate = [];
  try {
    agent = new Agent(cfg);
    await agent.start();
  } catch (e) {
    process.stdout.write(logGate.join(""));
    logGate = null;
    uiError(e.startText ?? `Error starting agent: ${e.message}`);
    agent?.close();
    return 1;
  }
  const info = {
    "Advertise Addrs": `HTTP: ${cfg.advertise.http}; RPC: ${cfg.advertise.rpc}; Serf: ${cfg.advertise.serf}`,
    "Bind Addrs": `HTTP: [${joinHostPort(cfg.addresses.http, cfg.ports.http)}]; RPC: ${joinHostPort(cfg.addresses.rpc, cfg.ports.rpc)}; Serf: ${joinHostPort(cfg.addresses.serf, cfg.ports.serf)}`,
    Client: String(cfg.client.enabled),
    "Log Level": cfg.logLevel,
    "Node Id": agent.nodeId ?? agent.serverId,
    Region: `${cfg.region} (DC: ${cfg.datacenter})`,
    Server: String(cfg.server.enabled),
    Version: VERSION,
  };
  ui("Nomad agent configuration:\n");
  for (const [k, v] of Object.entries(info)) process.stdout.write(`${k.padStart(22)}: ${v}\n`);
  process.stdout.write("\n");
  ui("Nomad agent started! Log data will stream in below:\n");
  process.stdout.write(logGate.join(""));
  logGate = null;
  return new Promise((resolve) => {
    const onSignal = async (sig) => {
      const name = { SIGINT: "interrupt", SIGTERM: "terminated", SIGHUP: "hangup" }[sig];
      ui(`Caught signal: ${name}`);
      if (sig === "SIGHUP") {
        ui("Reloading configuration...");
        try {
          const re = normalizeConfig(loadConfig(flags.configPaths).raw, cfg.files);
          minLevel = LEVELS[re.logLevel];
          agent.reloadTls(re.tls);
        } catch (e) {
          uiError(`Error reloading configuration: ${e.message}`);
        }
        return;
      }
      // Like Nomad: without leave_on_interrupt / leave_on_terminate the agent exits 1 at once (no leave).
      const graceful = (sig === "SIGINT" && cfg.leaveOnInt) || (sig === "SIGTERM" && cfg.leaveOnTerm);
      if (graceful) {
        ui("Gracefully shutting down agent...");
        await agent.leave();
      }
      log("INFO", "agent", "requesting shutdown");
      if (cfg.server.enabled) log("INFO", "nomad", "shutting down server");
      if (cfg.client.enabled) log("INFO", "client", "shutting down");
      agent.close();
      resolve(graceful ? 0 : 1);
    };
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => onSignal(sig));
  });
}

export async function main(argv) {
  const [cmd, ...rest] = argv;
  if (cmd === "version" || cmd === "-version" || cmd === "--version" || cmd === "-v") return printVersion();
  if (cmd === "agent") return runAgent(rest);
  process.stderr.write(
    `Usage: nomad [-version] [-help] <command> [args]\n\n${DOUBLE_NOTICE}\nIt implements only: nomad version, nomad agent -config <path>.\n`,
  );
  return cmd === undefined || cmd === "-h" || cmd === "-help" || cmd === "--help" ? 0 : 127;
}

const realpath = (f) => {
  try {
    return fs.realpathSync(f);
  } catch {
    return f;
  }
};
if (process.argv[1] && realpath(process.argv[1]) === realpath(fileURLToPath(import.meta.url))) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
