// Traefik TEST DOUBLE: the load balancer and reverse proxy of a service
// (pkg/server/service/loadbalancer/wrr/wrr.go, pkg/proxy/httputil/proxy.go, pkg/middlewares/forwardedheaders):
// - servers taken in turn (weighted round robin with equal weights); none: 503 "no available server\n";
// - untrusted X-Forwarded-* headers of the client are dropped, then X-Forwarded-Proto, -Port, -Host, -Server
//   (the host name), X-Real-Ip and X-Forwarded-For (the client address appended) are set;
// - the Host header is passed unless passHostHeader is false;
// - an unreachable server is 502 "Bad Gateway", a timeout 504 "Gateway Timeout", a client gone 499.
import http from "node:http";
import https from "node:https";
import net from "node:net";
import os from "node:os";

const HOP = ["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"];
const X_HEADERS = [
  "x-forwarded-proto",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-port",
  "x-forwarded-server",
  "x-forwarded-uri",
  "x-forwarded-method",
  "x-forwarded-prefix",
  "x-forwarded-tls-client-cert",
  "x-forwarded-tls-client-cert-info",
  "x-real-ip",
];
const hostname = os.hostname();
const agent = new http.Agent({ keepAlive: true });
const tlsAgent = new https.Agent({ keepAlive: true, rejectUnauthorized: false });

/** A load balancer over a service's servers: (req, res, ctx) => void. */
export function loadBalancer(lb) {
  const servers = (lb.servers ?? []).filter((s) => s.url);
  const passHost =
    lb.passHostHeader === undefined ? true : lb.passHostHeader === true || lb.passHostHeader === "true";
  let next = 0;
  return (req, res, ctx) => {
    if (servers.length === 0) {
      const body = "no available server\n";
      res.writeHead(503, {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
        "content-length": body.length,
      });
      return res.end(body);
    }
    const server = servers[next++ % servers.length];
    forward(req, res, new URL(server.url), passHost, ctx);
  };
}

/** Whether the client address is trusted for X-Forwarded-* (forwardedHeaders.insecure / trustedIPs). */
export function trustsForwarded(fh, remoteIp) {
  if (fh.insecure) return true;
  if (!fh.trustedIPs.length) return false;
  const list = new net.BlockList();
  for (const r of fh.trustedIPs) {
    const [a, bits] = r.split("/");
    const fam = net.isIPv6(a) ? "ipv6" : "ipv4";
    if (bits === undefined) list.addAddress(a, fam);
    else list.addSubnet(a, Number(bits), fam);
  }
  const ip = remoteIp.replace(/^::ffff:/, "");
  return list.check(ip, net.isIPv6(ip) ? "ipv6" : "ipv4");
}

/** XForwarded.ServeHTTP + rewrite, applied once per request at the entry point. */
export function forwardedHeaders(req, ctx) {
  const h = req.headers;
  if (!ctx.trustForwarded) for (const k of X_HEADERS) delete h[k];
  const ip = ctx.remoteIp.replace(/^::ffff:/, "");
  h["x-real-ip"] ??= ip;
  h["x-forwarded-proto"] ??= ctx.scheme;
  if (h["x-forwarded-port"] === undefined) {
    const port = /:(\d+)$/.exec(String(h.host ?? ""))?.[1];
    h["x-forwarded-port"] = port ?? (h["x-forwarded-proto"] === "https" ? "443" : "80");
  }
  if (h["x-forwarded-host"] === undefined && h.host) h["x-forwarded-host"] = h.host;
  h["x-forwarded-server"] = hostname;
  ctx.clientIp = ip;
}

function forward(req, res, target, passHost, ctx) {
  const headers = { ...req.headers };
  for (const k of HOP) delete headers[k];
  const xff = headers["x-forwarded-for"];
  headers["x-forwarded-for"] = xff ? `${xff}, ${ctx.clientIp}` : ctx.clientIp;
  if (!passHost) headers.host = target.host;
  ctx.log.ServiceURL = target.href.replace(/\/$/, "");
  ctx.log.ServiceAddr = target.host;
  const started = process.hrtime.bigint();
  const client = target.protocol === "https:" ? https : http;
  const out = client.request(
    {
      host: target.hostname.replace(/^\[|\]$/g, ""),
      port: target.port || (target.protocol === "https:" ? 443 : 80),
      method: req.method,
      path: joinPath(target.pathname, req.url),
      headers,
      agent: target.protocol === "https:" ? tlsAgent : agent,
    },
    (upstream) => {
      const resHeaders = { ...upstream.headers };
      for (const k of HOP) delete resHeaders[k];
      ctx.log.OriginStatus = upstream.statusCode;
      res.writeHead(upstream.statusCode, upstream.statusMessage, resHeaders);
      upstream.pipe(res);
      upstream.on("end", () => {
        ctx.log.OriginDuration = Number(process.hrtime.bigint() - started);
        ctx.log.OriginContentSize = ctx.bytesOut();
      });
    },
  );
  out.on("error", (err) => {
    if (res.headersSent) return res.destroy();
    const status = ctx.aborted ? 499 : err.code === "ETIMEDOUT" ? 504 : 502;
    const text = { 499: "Client Closed Request", 502: "Bad Gateway", 504: "Gateway Timeout" }[status];
    ctx.log.OriginStatus = 0;
    res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": text.length });
    res.end(text);
  });
  req.pipe(out);
  res.on("close", () => {
    if (!res.writableFinished) {
      ctx.aborted = true;
      out.destroy();
    }
  });
}

function joinPath(base, url) {
  if (!base || base === "/") return url;
  return `${base.replace(/\/$/, "")}${url.startsWith("/") ? url : `/${url}`}`;
}
