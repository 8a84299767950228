// Traefik TEST DOUBLE: entry points (pkg/server/server_entrypoint_tcp.go) and their request path.
// - Every entry point listens on its address (":80" = all interfaces, "10.0.0.5:8082" = that address) before
//   anything runs; a failure stops Traefik with "error while building entryPoint <n>: building listener: error
//   opening listener: listen tcp <addr>: bind: <reason>".
// - Each connection is peeked like Traefik's TCP router does: plain HTTP is served; a TLS ClientHello is closed at
//   once (TLS, hence routers with `tls`, ACME certificates and the default certificate, is NOT modelled).
// - Stop (SIGTERM/SIGINT, TCPEntryPoint.Shutdown): ping answers its terminating status at once; for
//   lifeCycle.requestAcceptGraceTimeout new requests are still accepted; then the listener closes, idle
//   connections are closed, in-flight requests finish (their responses carry "Connection: close") for up to
//   lifeCycle.graceTimeOut (default 10s), after which the remaining connections are closed.
import http from "node:http";
import net from "node:net";
import { notFound } from "./internal.mjs";
import { forwardedHeaders, trustsForwarded } from "./proxy.mjs";
import { canonicalHost, routingPath } from "./rules.mjs";

const BIND_REASON = {
  EADDRINUSE: "bind: address already in use",
  EACCES: "bind: permission denied",
  EADDRNOTAVAIL: "bind: cannot assign requested address",
};

let requestCount = 0;

/** Opens every entry point; resolves to a list of { name, close(graceful) } or rejects with Traefik's error. */
export async function openEntryPoints(state) {
  const opened = [];
  for (const [name, ep] of Object.entries(state.static.entryPoints)) {
    try {
      opened.push(await openEntryPoint(state, name, ep));
    } catch (err) {
      for (const o of opened) o.destroy();
      throw err;
    }
  }
  return opened;
}

function splitAddress(address) {
  const hostPort = address.split("/")[0];
  const i = hostPort.lastIndexOf(":");
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(hostPort.slice(i + 1)) };
}

async function openEntryPoint(state, name, ep) {
  const server = http.createServer(
    { requestTimeout: ep.transport.respondingTimeouts.readTimeout },
    (req, res) => handle(state, name, ep, req, res),
  );
  server.keepAliveTimeout = ep.transport.respondingTimeouts.idleTimeout;
  let closing = false;
  server.on("request", (_req, res) => {
    if (closing) res.setHeader("connection", "close");
  });
  const sockets = new Set();
  const listener = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.once("data", (buf) => {
      socket.pause();
      if (buf[0] === 0x16) return socket.destroy(); // a TLS ClientHello: TLS is not modelled
      socket.unshift(buf);
      server.emit("connection", socket);
      socket.resume();
    });
    socket.on("error", () => {});
  });
  const { host, port } = splitAddress(ep.address);
  await new Promise((resolve, reject) => {
    listener.once("error", (err) => {
      const reason = BIND_REASON[err.code] ?? err.message;
      reject(
        new Error(
          `error while building entryPoint ${name}: building listener: error opening listener: listen tcp ${ep.address}: ${reason}`,
        ),
      );
    });
    listener.listen(host ? { host, port } : { port }, resolve);
  });
  return {
    name,
    port: listener.address().port,
    destroy() {
      listener.close();
      for (const s of sockets) s.destroy();
    },
    /** TCPEntryPoint.Shutdown. */
    async shutdown() {
      const { requestAcceptGraceTimeout, graceTimeOut } = ep.transport.lifeCycle;
      if (requestAcceptGraceTimeout > 0) await new Promise((r) => setTimeout(r, requestAcceptGraceTimeout));
      closing = true;
      listener.close();
      // The HTTP server never listened itself (the peeking listener hands it the sockets), so the connections
      // are tracked here: idle ones are closed, busy ones close after their response ("Connection: close").
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const s of sockets) s.destroy();
      }, graceTimeOut);
      await new Promise((resolve) => {
        const check = () => sockets.size === 0 && resolve();
        for (const s of sockets) s.on("close", check);
        check();
      });
      clearInterval(idle);
      clearTimeout(timer);
    },
  };
}

function handle(state, epName, ep, req, res) {
  const start = new Date();
  const t0 = process.hrtime.bigint();
  const remote = req.socket.remoteAddress ?? "";
  const remotePort = req.socket.remotePort;
  const ctx = {
    scheme: "http",
    remoteIp: remote,
    trustForwarded: trustsForwarded(ep.forwardedHeaders, remote),
  };
  let bytes = 0;
  const write = res.write.bind(res);
  const end = res.end.bind(res);
  res.write = (chunk, ...rest) => {
    if (chunk) bytes += Buffer.byteLength(chunk);
    return write(chunk, ...rest);
  };
  res.end = (chunk, ...rest) => {
    if (chunk && typeof chunk !== "function") bytes += Buffer.byteLength(chunk);
    return end(chunk, ...rest);
  };
  ctx.bytesOut = () => bytes;
  const clientHost = remote.replace(/^::ffff:/, "");
  const hostHeader = req.headers.host ?? "";
  const [reqHost, reqPort] = splitHostPort(hostHeader);
  ctx.log = {
    StartUTC: start.toISOString(),
    StartLocal: start.toISOString(),
    RequestCount: ++requestCount,
    RequestAddr: hostHeader,
    RequestHost: reqHost,
    RequestPort: reqPort,
    RequestMethod: req.method,
    RequestPath: req.url,
    RequestProtocol: `HTTP/${req.httpVersion}`,
    RequestScheme: "http",
    ClientAddr: `${net.isIPv6(clientHost) ? `[${clientHost}]` : clientHost}:${remotePort}`,
    ClientHost: clientHost,
    ClientPort: String(remotePort),
    entryPointName: epName,
    OriginDuration: 0,
    OriginStatus: 0,
    OriginContentSize: 0,
  };
  const reqHeadersForLog = { ...req.headers };
  forwardedHeaders(req, ctx);
  if (ctx.trustForwarded && reqHeadersForLog["x-forwarded-for"])
    ctx.log.ClientHost = reqHeadersForLog["x-forwarded-for"];
  const u = new URL(req.url, "http://x");
  const decorated = {
    method: req.method,
    headers: req.headers,
    canonicalHost: canonicalHost(hostHeader),
    routingPath: routingPath(u.pathname),
    query: u.searchParams,
    remoteIp: remote,
  };
  const route = state.runtime.byEntryPoint[epName]?.find((r) => !r.router.tls && r.router.match(decorated));
  const internal = route?.router.provider === "internal" || route?.router.service?.endsWith("@internal");
  res.on("finish", () => {
    if (!state.accessLog || (internal && !state.static.accessLog.addInternals)) return;
    const duration = Number(process.hrtime.bigint() - t0);
    const c = ctx.log;
    Object.assign(c, {
      DownstreamStatus: res.statusCode,
      DownstreamContentSize: bytes,
      Duration: duration,
      Overhead: duration - (c.OriginDuration ?? 0),
      RetryAttempts: 0,
      RequestContentSize: Number(req.headers["content-length"] ?? 0),
      ClientUsername: ctx.username ?? (c.ClientUsername || "-"),
    });
    if (state.accessLog.keep(res.statusCode, duration)) state.accessLog.write(c, reqHeadersForLog);
  });
  if (!route) return notFound(req, res);
  ctx.log.RouterName = route.name;
  const chain = state.handlers.routers[route.name];
  if (!chain) return notFound(req, res);
  chain(req, res, ctx);
}

function splitHostPort(v) {
  const m = /^(.*):(\d+)$/.exec(v);
  return m && !m[1].includes(":") ? [m[1], m[2]] : [v, "-"];
}
