// Traefik TEST DOUBLE: the internal services — ping@internal (pkg/ping/ping.go: 200 "OK", the terminating status
// code (503 "Service Unavailable") once a stop signal arrived), api@internal (pkg/api/handler*.go, the routes
// below, JSON shapes of runtime.RouterInfo & co.), dashboard@internal (a placeholder page that says it is a
// double: the real one is a web application), noop@internal (418, no body) and acme-http@internal (no challenge is
// ever pending: there is no ACME traffic, so every token is 404).

const json = (res, req, status, body) => {
  const text = `${JSON.stringify(body)}\n`; // json.NewEncoder adds a newline
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(req.method === "HEAD" ? undefined : text);
};

export const notFound = (req, res) => {
  const body = "404 page not found\n"; // http.NotFoundHandler
  res.writeHead(404, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    "content-length": body.length,
  });
  res.end(req.method === "HEAD" ? undefined : body);
};

/** The handlers of the internal services: name → (req, res, ctx) => void. */
export function internalServices(state) {
  return {
    "ping@internal": (req, res) => {
      const status = state.terminating ? state.static.ping.terminatingStatusCode : 200;
      const text = status === 200 ? "OK" : status === 503 ? "Service Unavailable" : String(status);
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "content-length": text.length });
      res.end(req.method === "HEAD" ? undefined : text);
    },
    "noop@internal": (_req, res) => {
      res.writeHead(418);
      res.end();
    },
    "acme-http@internal": notFound,
    "api@internal": (req, res) => api(state, req, res),
    "dashboard@internal": (req, res) => dashboardPage(req, res),
  };
}

/** The placeholder of the dashboard's index page (the real one is the web UI of webui.FS). */
function dashboardPage(req, res) {
  const body = `<!doctype html><html><head><title>Traefik (np TEST DOUBLE)</title></head><body>
<h1>Traefik dashboard — np TEST DOUBLE</h1>
<p>This is np's Traefik test double, not Traefik. The real dashboard is a web application; the double serves
this page at the same place and the same JSON API under <a href="../api/overview">/api/</a>.</p>
</body></html>\n`;
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(body),
  });
  res.end(req.method === "HEAD" ? undefined : body);
}

const strip = ({ match, provider, status, using, err, usedBy, ...rest }) => rest;

function routerInfo(r) {
  const info = { ...strip(r), status: r.status };
  if (r.err) info.error = r.err;
  if (r.using?.length) info.using = r.using;
  return info;
}

function representation(state, kind, name) {
  const rt = state.runtime;
  const provider = name.split("@")[1];
  if (kind === "routers") {
    const r = rt.routers[name];
    return { ...routerInfo(r), name, provider, priorityStr: String(r.priority ?? 0) };
  }
  const item = rt[kind][name];
  const type = Object.keys(strip(item))[0]?.toLowerCase();
  const info = { ...strip(item), status: item.status, usedBy: item.usedBy, name, provider, type };
  if (kind === "services" && item.loadBalancer) {
    info.serverStatus = Object.fromEntries((item.loadBalancer.servers ?? []).map((s) => [s.url, "UP"]));
  }
  return info;
}

function api(state, req, res) {
  const url = new URL(req.url, "http://x");
  const base = state.static.api.basePath.replace(/\/$/, "");
  // With api.dashboard, api@internal also serves the dashboard (pkg/server/service/managerfactory.go +
  // pkg/api/dashboard/dashboard.go Append): GET <basePath> redirects (302) to <basePath>dashboard/.
  if (state.static.api.dashboard && req.method === "GET") {
    if (url.pathname === (base || "/")) {
      const prefix = String(req.headers["x-forwarded-prefix"] ?? "").replace(/\/$/, "");
      res.writeHead(302, {
        location: `${prefix}${base}/dashboard/`,
        "content-type": "text/html; charset=utf-8",
      });
      return res.end();
    }
    if (url.pathname === `${base}/dashboard/`) return dashboardPage(req, res);
    if (url.pathname.startsWith(`${base}/dashboard/`)) return notFound(req, res); // no web assets in the double
  }
  if (!url.pathname.startsWith(`${base}/api/`)) return notFound(req, res);
  const p = url.pathname.slice(base.length);
  if (req.method !== "GET") {
    res.writeHead(405);
    return res.end();
  }
  const rt = state.runtime;
  const section = (map) => {
    const list = Object.values(map);
    return {
      total: list.length,
      warnings: list.filter((x) => x.status === "warning").length,
      errors: list.filter((x) => x.status === "disabled").length,
    };
  };
  if (p === "/api/version") {
    return json(res, req, 200, {
      Version: state.version,
      Codename: state.codename,
      startDate: state.startDate,
    });
  }
  if (p === "/api/overview") {
    return json(res, req, 200, {
      http: {
        routers: section(rt.routers),
        services: section(rt.services),
        middlewares: section(rt.middlewares),
      },
      tcp: { routers: section({}), services: section({}), middlewares: section({}) },
      udp: { routers: section({}), services: section({}) },
      features: { tracing: "", metrics: "", accessLog: Boolean(state.static.accessLog) },
      providers: state.providerNames,
    });
  }
  if (p === "/api/rawdata") {
    const map = (kind) =>
      Object.fromEntries(
        Object.keys(rt[kind]).map((n) => [
          n,
          kind === "routers" ? routerInfo(rt.routers[n]) : representationRaw(rt[kind][n]),
        ]),
      );
    return json(res, req, 200, {
      routers: map("routers"),
      middlewares: map("middlewares"),
      services: map("services"),
    });
  }
  if (p === "/api/entrypoints") {
    return json(
      res,
      req,
      200,
      Object.entries(state.static.entryPoints).map(([name, ep]) => entryPoint(name, ep)),
    );
  }
  const one = /^\/api\/entrypoints\/([^/]+)$/.exec(p);
  if (one) {
    const ep = state.static.entryPoints[decodeURIComponent(one[1])];
    return ep
      ? json(res, req, 200, entryPoint(decodeURIComponent(one[1]), ep))
      : json(res, req, 404, { message: `entry point not found: ${one[1]}` });
  }
  const m = /^\/api\/http\/(routers|services|middlewares)(?:\/([^/]+))?$/.exec(p);
  if (!m) return notFound(req, res);
  const [, kind, id] = m;
  if (id === undefined) {
    const names = Object.keys(rt[kind]).sort();
    return json(
      res,
      req,
      200,
      names.map((n) => representation(state, kind, n)),
    );
  }
  const name = decodeURIComponent(id);
  if (!rt[kind][name]) return json(res, req, 404, { message: `${kind.slice(0, -1)} not found: ${name}` });
  return json(res, req, 200, representation(state, kind, name));
}

function representationRaw(item) {
  return { ...strip(item), status: item.status, usedBy: item.usedBy };
}

function entryPoint(name, ep) {
  return {
    address: ep.address,
    transport: ep.transport,
    forwardedHeaders: ep.forwardedHeaders,
    http: {},
    name,
  };
}
