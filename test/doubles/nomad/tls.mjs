// Part of np's Nomad TEST DOUBLE (not HashiCorp Nomad): the agent's `tls` block, after
// nomad/structs/config/tls.go (keys), helper/tlsutil/config.go (NewTLSConfiguration, OutgoingTLSConfig,
// IncomingTLSConfig, ParseMinVersion, ParseCiphers: their error texts), command/agent/http.go (HTTPS listener,
// verify_https_client = tls.RequireAndVerifyClientCert) and nomad/server.go + nomad/rpc.go (RPC TLS:
// rpcNameAndRegionValidator, validateRaftTLS, "non-TLS connection attempted with RequireTLS set").
// The double's own server<->server gossip and client<->server RPC (HTTP/JSON, see nomad-double.mjs) go over
// mutual TLS with the same CA when `rpc = true`. Go's TLS alerts are approximated by OpenSSL's: a client sees
// its connection closed with a TLS alert, as with a Go server.
import { X509Certificate } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { Duplex } from "node:stream";
import tls from "node:tls";

// helper/tlsutil/config.go supportedTLSVersions, mapped to Node's names.
const VERSIONS = { tls10: "TLSv1", tls11: "TLSv1.1", tls12: "TLSv1.2", tls13: "TLSv1.3" };
// helper/tlsutil/config.go supportedTLSCiphers (the double checks names; Node/OpenSSL picks the suites).
const CIPHERS = new Set(
  `TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305 TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA TLS_RSA_WITH_AES_128_GCM_SHA256 TLS_RSA_WITH_AES_256_GCM_SHA384
  TLS_RSA_WITH_AES_128_CBC_SHA TLS_RSA_WITH_AES_256_CBC_SHA`.split(/\s+/),
);

const bool = (v) => v === true || v === "true" || v === 1;
const str = (v) => (v == null ? "" : String(v));

/** The `tls` block as the agent keeps it (config.TLSConfig). */
export function tlsSettings(raw = {}) {
  return {
    http: bool(raw.http),
    rpc: bool(raw.rpc),
    caFile: str(raw.ca_file),
    certFile: str(raw.cert_file),
    keyFile: str(raw.key_file),
    verifyServerHostname: bool(raw.verify_server_hostname),
    verifyHttpsClient: bool(raw.verify_https_client),
    rpcUpgradeMode: bool(raw.rpc_upgrade_mode),
    cipherSuites: str(raw.tls_cipher_suites),
    minVersion: str(raw.tls_min_version),
  };
}

/** tlsutil.NewTLSConfiguration's own checks (ParseCiphers, ParseMinVersion); returns the Node minVersion. */
export function checkTlsSettings(t) {
  for (const c of t.cipherSuites ? t.cipherSuites.split(",") : [])
    if (!CIPHERS.has(c.trim())) throw new Error(`unsupported TLS cipher "${c.trim()}"`);
  if (t.minVersion && !(t.minVersion in VERSIONS))
    throw new Error(`unsupported TLS version "${t.minVersion}"`);
  return VERSIONS[t.minVersion || "tls12"];
}

const goOpenError = (file, e) =>
  `open ${file}: ${e.code === "ENOENT" ? "no such file or directory" : e.code === "EACCES" ? "permission denied" : e.message}`;

/** Config.AppendCA: the CA file's PEM text, or "" when none is configured. */
function readCa(t) {
  if (!t.caFile) return "";
  let text;
  try {
    text = fs.readFileSync(t.caFile, "utf8");
  } catch (e) {
    throw new Error(`Failed to read CA file: ${goOpenError(t.caFile, e)}`);
  }
  // x509.CertPool.AppendCertsFromPEM: fine when at least one certificate parses
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const parses = (pem) => {
    try {
      return !!new X509Certificate(pem);
    } catch {
      return false;
    }
  };
  if (!blocks.some(parses)) throw new Error(`Failed to parse any valid certificates in CA file: ${t.caFile}`);
  return text;
}

/** Config.LoadKeyPair (tls.LoadX509KeyPair, wrapped twice as in Nomad); null when cert_file/key_file unset. */
function readKeyPair(t) {
  if (!t.certFile || !t.keyFile) return null;
  const fail = (m) => new Error(`Failed to load cert/key pair: Failed to load cert/key pair: ${m}`);
  const read = (f) => {
    try {
      return fs.readFileSync(f, "utf8");
    } catch (e) {
      throw fail(goOpenError(f, e));
    }
  };
  const cert = read(t.certFile);
  const key = read(t.keyFile);
  if (!/-----BEGIN [A-Z ]*CERTIFICATE-----/.test(cert))
    throw fail("tls: failed to find any PEM data in certificate input");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key))
    throw fail("tls: failed to find any PEM data in key input");
  try {
    tls.createSecureContext({ cert, key });
  } catch {
    throw fail("tls: private key does not match public key");
  }
  return { cert, key };
}

/** The material for one side (IncomingTLSConfig when verifyIncoming, OutgoingTLSConfig's CA rule). */
export function loadTls(t, { verifyIncoming, verifyOutgoing }) {
  const minVersion = checkTlsSettings(t);
  if (verifyOutgoing && !t.caFile) throw new Error("VerifyOutgoing set, and no CA certificate provided!");
  const ca = readCa(t);
  const pair = readKeyPair(t);
  if (verifyIncoming && !t.caFile) throw new Error("VerifyIncoming set, and no CA certificate provided!");
  if (verifyIncoming && !pair) throw new Error("VerifyIncoming set, and no Cert/Key pair provided!");
  return { ca, cert: pair?.cert, key: pair?.key, minVersion };
}

/** DNS names and CN of a peer certificate (Node's getPeerCertificate()). */
export function certNames(cert) {
  const dns = String(cert?.subjectaltname ?? "")
    .split(", ")
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
  return { cn: String(cert?.subject?.CN ?? ""), dns };
}

/** nomad/server.go validateRPCRegionPeer: server.* from any region, client.<region>.nomad from ours. */
export function validRpcPeer(name, region) {
  const parts = name.split(".");
  if (parts.length < 3 || parts.at(-1) !== "nomad") return false;
  if (parts[0] === "client") return name === `client.${region}.nomad`;
  return parts[0] === "server";
}

// net/http server.go: a plain HTTP request on a TLS port is answered like this, then the connection closes.
// (Go tests the first 5 bytes for "GET /", "HEAD ", "POST ", "PUT /", "OPTIO"; OpenSSL's ERR_SSL_HTTP_REQUEST
// covers GET, HEAD, POST and PUT.)
const GO_PLAIN_HTTP = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n";
const isPlainHttp = (e) => e?.code === "ERR_SSL_HTTP_REQUEST";
const isPlain = (e) =>
  isPlainHttp(e) || /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LAYER/.test(String(e?.code));
const remote = (s) =>
  `${s?._parent?.remoteAddress ?? s?.remoteAddress}:${s?._parent?.remotePort ?? s?.remotePort}`;

/** Go's TLS handshake error texts for what OpenSSL reports (crypto/tls handshake_server.go). */
function goHandshakeError(e) {
  const m = String(e?.code ?? e?.message ?? e);
  if (/PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE_REQUIRED/.test(m))
    return "tls: client didn't provide a certificate";
  if (/CERTIFICATE_VERIFY_FAILED|UNKNOWN_CA|unable to get|self.signed/i.test(m))
    return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
  if (/VERSION_TOO_LOW|UNSUPPORTED_PROTOCOL/.test(m)) return "tls: client offered only unsupported versions";
  if (isPlain(e)) return "tls: first record does not look like a TLS handshake";
  return `tls: ${e?.message ?? m}`;
}

/**
 * Makes a TLS server end failed handshakes like a Go one: Go's 400 for a plain HTTP request (written on the
 * raw socket) when `answerHttp`, a log line through `onError`, the connection closed.
 */
function goLikeHandshakeErrors(tlsServer, onError, { answerHttp }) {
  tlsServer.on("tlsClientError", (e, socket) => {
    onError(e, socket);
    if (answerHttp && isPlainHttp(e) && socket._parent) socket._parent.end(GO_PLAIN_HTTP);
    else socket.destroy();
  });
}

/**
 * rpc_upgrade_mode: one port for TLS and plain connections (nomad/rpc.go handleConn looks at the first byte).
 * The first chunk is replayed through a Duplex, since a TLS socket taking over a net.Socket skips what was read.
 */
function dualServer(tlsServer, plainServer) {
  return net.createServer((socket) => {
    socket.once("data", (head) => {
      socket.pause();
      if (head[0] !== 0x16) {
        socket.unshift(head);
        plainServer.emit("connection", socket);
        socket.resume();
        return;
      }
      const d = new Duplex({
        read: () => socket.resume(),
        write: (c, enc, cb) => socket.write(c, enc, cb),
        final: (cb) => {
          socket.end();
          cb();
        },
        destroy: (err, cb) => {
          socket.destroy();
          cb(err);
        },
      });
      d.push(head);
      socket.on("data", (x) => {
        if (!d.push(x)) socket.pause();
      });
      socket.on("end", () => d.push(null));
      socket.on("close", () => d.destroy());
      tlsServer.emit("connection", d);
    });
    socket.on("error", () => socket.destroy());
  });
}

/** The HTTPS API's options (verify_https_client: Go's RequireAndVerifyClientCert). */
const apiServerOptions = (t, material) => ({
  cert: material.cert,
  key: material.key,
  ca: material.ca || undefined,
  requestCert: t.verifyHttpsClient,
  rejectUnauthorized: t.verifyHttpsClient,
  minVersion: material.minVersion,
});

/** The internal listeners' options: mutual TLS against ca_file. */
const internalServerOptions = (material) => ({
  cert: material.cert,
  key: material.key,
  ca: material.ca,
  requestCert: true,
  rejectUnauthorized: true,
  minVersion: material.minVersion,
});

/** The HTTP API server: plain HTTP, or HTTPS (verify_https_client: a client certificate signed by ca_file). */
export function httpApiServer(t, material, handler, log) {
  if (!t.http) return http.createServer(handler);
  const srv = https.createServer(apiServerOptions(t, material), handler);
  // command/agent/http_stdlog.go: net/http's own errors (TLS handshakes) are logged at TRACE by "http"
  goLikeHandshakeErrors(
    srv,
    (e, s) => log("TRACE", "http", `http: TLS handshake error from ${remote(s)}: ${goHandshakeError(e)}`),
    { answerHttp: true },
  );
  return srv;
}

/**
 * The double's internal listener (serf/rpc ports). With rpc TLS: mutual TLS against ca_file; with
 * verify_server_hostname the peer certificate must name a Nomad role (rpcNameAndRegionValidator) and, on the
 * serf port (which carries the double's raft state), `server.<region>.nomad` (validateRaftTLS). Node checks
 * names after the handshake, so a refused peer sees its connection closed instead of Go's alert.
 */
export function internalServer(t, material, region, kind, handler, log) {
  const plain = http.createServer(handler);
  if (!t.rpc) return plain;
  const srv = https.createServer(internalServerOptions(material), handler);
  // before https.Server's own listener, so a refused peer's request is never parsed
  srv.prependListener("secureConnection", (socket) => {
    if (!t.verifyServerHostname) return;
    const { cn, dns } = certNames(socket.getPeerCertificate());
    const from = remote(socket);
    const expected = `server.${region}.nomad`;
    if (kind === "serf" && !t.rpcUpgradeMode && ![cn, ...dns].includes(expected)) {
      // rpc.go validateRaftTLS's error (Nomad closes the connection without logging it; the double logs it)
      log(
        "WARN",
        "nomad.rpc",
        `unauthorized raft connection from ${from}: request certificate is only valid for [${dns.join(" ")}]: invalid certificate, ${expected} not in ${[cn, ...dns].join(",")}`,
      );
      socket.destroy();
    } else if (![...dns, cn].some((n) => validRpcPeer(n, region))) {
      log("WARN", "nomad.rpc", "failed TLS handshake", {
        remote_addr: from,
        error: "invalid role or region for certificate",
      });
      socket.destroy();
    }
  });
  goLikeHandshakeErrors(
    srv,
    (e, s) =>
      isPlain(e)
        ? log("WARN", "nomad.rpc", "non-TLS connection attempted with RequireTLS set", {
            remote_addr: remote(s),
          })
        : log("WARN", "nomad.rpc", "failed TLS handshake", {
            remote_addr: remote(s),
            error: goHandshakeError(e),
          }),
    { answerHttp: false },
  );
  if (!t.rpcUpgradeMode) return srv;
  const outer = dualServer(srv, plain);
  outer.inner = srv;
  return outer;
}

/** Go's client-side texts for TLS failures (crypto/tls alerts and x509 errors), for the double's log lines. */
export function goDialError(e) {
  const code = String(e?.code ?? "");
  if (code === "ECONNRESET" || /socket hang up/.test(e?.message ?? ""))
    return "remote error: tls: bad certificate";
  if (/ALERT_UNKNOWN_CA/.test(code)) return "remote error: tls: unknown certificate authority";
  if (/ALERT_BAD_CERTIFICATE/.test(code)) return "remote error: tls: bad certificate";
  if (/ALERT_CERTIFICATE_REQUIRED/.test(code)) return "remote error: tls: certificate required";
  if (/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER|CERT_SIGNATURE_FAILURE/.test(code))
    return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
  return e?.goText ?? e?.message ?? String(e);
}

/**
 * TLS options for the double's outgoing internal requests: the CA always (OutgoingTLSConfig verifies the chain,
 * WrapTLSClient), our certificate as client certificate, and with verify_server_hostname the peer must be
 * valid for `server.<region>.nomad` (OutgoingTLSWrapper sets ServerName).
 */
export function outgoingTlsOptions(t, material, region) {
  if (!t.rpc) return null;
  const want = `server.${region}.nomad`;
  return {
    ca: material.ca,
    cert: material.cert,
    key: material.key,
    minVersion: material.minVersion,
    rejectUnauthorized: true,
    checkServerIdentity: (_host, cert) => {
      if (!t.verifyServerHostname) return undefined;
      const { dns } = certNames(cert);
      if (dns.includes(want)) return undefined;
      const err = new Error(
        dns.length
          ? `tls: failed to verify certificate: x509: certificate is valid for ${dns.join(", ")}, not ${want}`
          : `tls: failed to verify certificate: x509: certificate is not valid for any names, but wanted to match ${want}`,
      );
      err.goText = err.message;
      return err;
    },
  };
}

/**
 * Loads an agent's TLS material with the checks and texts of the real agent's start: server setup
 * (nomad.NewServer: tlsutil.NewTLSConfiguration, then with rpc getTLSConf), client setup (client.NewClient
 * with rpc), then the HTTP servers (NewHTTPServers with tls.http). Errors carry `startText`, the line Nomad
 * prints. Returns {rpcTls, outTls, apiTls, httpTls} (httpTls: the double's own agent-to-agent HTTPS).
 */
export function setupAgentTls(cfg) {
  const t = cfg.tls;
  const out = { rpcTls: null, outTls: null, apiTls: null, httpTls: null };
  const fail = (prefix, e) => Object.assign(new Error(e.message), { startText: `${prefix}${e.message}` });
  try {
    if (cfg.server.enabled) checkTlsSettings(t);
    if (cfg.server.enabled && t.rpc) out.rpcTls = loadTls(t, { verifyIncoming: true, verifyOutgoing: true });
  } catch (e) {
    throw fail("Error starting agent: server setup failed: ", e);
  }
  try {
    if (cfg.client.enabled && t.rpc)
      out.rpcTls ??= loadTls(t, { verifyIncoming: false, verifyOutgoing: true });
  } catch (e) {
    throw fail("Error starting agent: client setup failed: ", e);
  }
  out.outTls = out.rpcTls ? outgoingTlsOptions(t, out.rpcTls, cfg.region) : null;
  if (!t.http) return out;
  try {
    checkTlsSettings(t);
  } catch (e) {
    throw fail("Error starting http server: failed to initialize HTTP server TLS configuration: ", e);
  }
  try {
    out.apiTls = loadTls(t, { verifyIncoming: t.verifyHttpsClient, verifyOutgoing: false });
  } catch (e) {
    // NewHTTPServers collects listener errors with go-multierror
    throw fail("Error starting http server: ", { message: `1 error occurred:\n\t* ${e.message}\n\n` });
  }
  // log streams between agents: trust the CA, present our certificate, no name check
  out.httpTls = {
    ca: out.apiTls.ca || undefined,
    cert: out.apiTls.cert,
    key: out.apiTls.key,
    rejectUnauthorized: !!out.apiTls.ca,
    checkServerIdentity: () => undefined,
  };
  return out;
}

/**
 * SIGHUP's TLS reload (command/agent/agent.go Reload: "This is just a TLS configuration reload"): the certificate,
 * key and CA files are read again and new connections use them; open ones keep theirs. Like Nomad, a reload that
 * fails to load keeps the old configuration. Turning TLS on or off by a reload (which Nomad also does) is not
 * modelled: the double says so and keeps its listeners. `listeners` are [{ srv, kind: "serf"|"RPC"|"HTTP" }].
 */
export function reloadAgentTls(agent, nextTls, listeners, log) {
  const cur = agent.cfg.tls;
  if (nextTls.http !== cur.http || nextTls.rpc !== cur.rpc) {
    log("WARN", "agent", "np's Nomad double reloads TLS certificates only: restart it to turn TLS on or off");
    return false;
  }
  let material;
  try {
    material = setupAgentTls({ ...agent.cfg, tls: nextTls });
  } catch (e) {
    log("ERROR", "agent", "failed to reload the agent's TLS configuration", { error: e.message });
    return false;
  }
  Object.assign(agent, material);
  agent.cfg.tls = nextTls;
  for (const { srv, kind } of listeners) {
    const tlsServer = srv.inner ?? srv;
    if (typeof tlsServer.setSecureContext !== "function") continue;
    tlsServer.setSecureContext(
      kind === "HTTP" ? apiServerOptions(nextTls, material.apiTls) : internalServerOptions(material.rpcTls),
    );
  }
  log("INFO", "agent", "reloaded the agent's TLS configuration");
  return true;
}
